"""``make bench``: reading a 1,000-message conversation with 200 images, on
each database: ``get_messages`` with the images inline (the default) and by
reference, beside the peers' storage -- each message's JSON whole in one JSON
column, its images inline -- read by one SELECT. Time and bytes read, and the
bytes stored. Writes ``bench/attachments-results.md``.

    python -m bench.attachments            # the full run (under a minute)
    python -m bench.attachments --quick    # 200 messages, 40 images, 3 reads: seconds
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import convstore
from bench import dataset
from bench.run import RESULTS, paired_medians, run_bench_query, scratch_postgres
from convstore.content.attachments import references
from convstore.sqlfiles.catalog import bind
from convstore.store import Store
from convstore.types import POSTGRES, SQLITE

USER_ID = "bench-attachments"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CONVSTORE_TABLES = ("conversations", "messages", "message_attachments", "attachments")
"""The PostgreSQL tables that hold a conversation convstore stored (its
messages, their references and the attachments' bytes)."""
BASELINE_TABLES = ("peer_messages",)
DIALECT_NAMES = {SQLITE: "SQLite", POSTGRES: "PostgreSQL"}


@dataclass(frozen=True)
class Plan:
    message_count: int
    """Messages of the conversation: user and assistant in turn."""
    image_count: int
    """User messages that carry an image, spread evenly over the conversation."""
    distinct_images: int
    """Different images among them, used in turn (each stored once by convstore)."""
    image_bytes: int
    """Size of each image, in bytes before base64."""
    repeats: int
    """Reads of each kind timed, the kinds in turn (after one untimed read
    of each); the median is reported."""


FULL = Plan(message_count=1_000, image_count=200, distinct_images=5, image_bytes=40_000, repeats=30)
QUICK = Plan(message_count=200, image_count=40, distinct_images=5, image_bytes=40_000, repeats=3)


@dataclass(frozen=True)
class Reading:
    """One way of reading the whole conversation."""

    median_ms: float
    """Median time of one read, in milliseconds."""
    bytes_read: int
    """Bytes of what one read returns (see :func:`json_bytes` and :func:`row_bytes`)."""


@dataclass(frozen=True)
class Figures:
    dialect: str
    readings: dict[str, Reading]
    """By the label of the read (:data:`READS`)."""
    convstore_bytes: int
    """Bytes convstore's storage of the conversation takes (SQLite: the file;
    PostgreSQL: :data:`CONVSTORE_TABLES`, with indexes and TOAST)."""
    baseline_bytes: int
    """Bytes the baseline's storage takes (SQLite: its file; PostgreSQL:
    :data:`BASELINE_TABLES`, with indexes and TOAST)."""


INLINE = "`get_messages(cid, limit=None)`, images inline (the default)"
BY_REFERENCE = '`get_messages(cid, limit=None, attachments="reference")`'
BASELINE = "baseline: one SELECT of the peers' table on a held connection"
BASELINE_PARSED = "baseline, each message then parsed (`json.loads`)"
READS = (INLINE, BY_REFERENCE, BASELINE, BASELINE_PARSED)


# -- the conversation ------------------------------------------------------------------


def images(plan: Plan) -> list[str]:
    """The plan's distinct images as ``data:image/png;base64,`` URLs: a PNG
    signature, then random bytes (a PNG's compressed data does not compress
    further, nor do these), ``plan.image_bytes`` bytes in all."""
    urls = []
    for number in range(plan.distinct_images):
        noise = random.Random(f"image-{number}").randbytes(plan.image_bytes - len(PNG_SIGNATURE))
        urls.append("data:image/png;base64," + base64.b64encode(PNG_SIGNATURE + noise).decode())
    return urls


def conversation_messages(plan: Plan) -> list[dict]:
    """The conversation, oldest first, in the OpenAI chat format: user and
    assistant in turn, each 8 to 24 words of text; ``plan.image_count`` user
    messages, spread evenly, also carry an image in an ``image_url`` part."""
    generator = random.Random("attachments")
    urls = images(plan)
    turns = plan.message_count // 2
    messages: list[dict] = []
    images_placed = 0
    for turn in range(turns):
        question = dataset.sentence(generator)
        if (turn + 1) * plan.image_count // turns > images_placed:
            url = urls[images_placed % len(urls)]
            images_placed += 1
            image_part = {"type": "image_url", "image_url": {"url": url}}
            content: str | list[dict] = [{"type": "text", "text": question}, image_part]
        else:
            content = question
        messages.append({"role": "user", "content": content})
        messages.append({"role": "assistant", "content": dataset.sentence(generator)})
    assert images_placed == plan.image_count, (images_placed, plan.image_count)
    return messages


# -- what a read returns ---------------------------------------------------------------


def json_bytes(returned: object) -> int:
    """Bytes of ``returned`` serialized as JSON (``json.dumps``, ASCII, so
    one byte a character; timestamps as their ``str``)."""
    return len(json.dumps(returned, default=str))


def row_bytes(rows: list[dict]) -> int:
    """Bytes of the rows read: each value as text, in UTF-8."""
    return sum(len(str(value).encode()) for row in rows for value in row.values())


# -- one database ----------------------------------------------------------------------


def measure(dialect: str, plan: Plan, folder: str) -> Figures:
    """Store the conversation with convstore and in the baseline table of a
    fresh database (SQLite: a file each; PostgreSQL: one scratch database,
    dropped afterwards), then time each read of :data:`READS`."""
    if dialect == SQLITE:
        url, drop = f"sqlite:///{folder}/convstore.db", lambda: None  # the folder takes it
        baseline_url = f"sqlite:///{folder}/inline.db"
    else:
        url, drop = scratch_postgres("_attachments")
        baseline_url = url
    messages = conversation_messages(plan)
    try:
        with (
            convstore.connect(url, migrate=True) as store,
            convstore.connect(baseline_url, migrate=False) as baseline,
        ):
            conversation_id = store.create_conversation(USER_ID)
            store.add_messages(conversation_id, messages)
            store_baseline(baseline, conversation_id, messages)
            for opened in {url: store, baseline_url: baseline}.values():  # each database once
                run_bench_query(opened, "analyze")
            return Figures(
                dialect,
                time_reads(store, baseline, conversation_id, messages, plan),
                stored_bytes(store, CONVSTORE_TABLES),
                stored_bytes(baseline, BASELINE_TABLES),
            )
    finally:
        drop()


def stored_bytes(store: Store, tables: tuple[str, ...]) -> int:
    """Bytes the database holds: on SQLite its file (page count x page size,
    bench/sql/sqlite/database_size.sql); on PostgreSQL ``tables``, each with
    its indexes and TOAST (bench/sql/postgres/relation_bytes.sql)."""
    if store.dialect == SQLITE:
        (size,) = run_bench_query(store, "database_size")
    else:
        (size,) = run_bench_query(store, "relation_bytes", tables=json.dumps(tables))
    return int(size["bytes"])


def store_baseline(baseline: Store, conversation_id: str, messages: list[dict]) -> None:
    """The messages in the baseline table (created here), each as its JSON
    text, one millisecond apart, in one transaction."""
    run_bench_query(baseline, "peer_messages_create")
    run_bench_query(baseline, "peer_messages_index")
    with baseline.database.transaction():
        for seq, message in enumerate(messages, start=1):
            run_bench_query(
                baseline,
                "peer_messages_insert",
                id=str(uuid.uuid4()),
                conversation_id=conversation_id,
                message=json.dumps(message),
                created_at=dataset.BASE_TIME + timedelta(milliseconds=seq),
            )


def time_reads(
    store: Store, baseline: Store, conversation_id: str, given_messages: list[dict], plan: Plan
) -> dict[str, Reading]:
    """Each read of :data:`READS` of the whole conversation, checked first to
    return every message of ``given_messages`` (inline and in the baseline:
    as given; by reference: each image a reference to one of
    ``plan.distinct_images`` attachments)."""

    def inline() -> list:
        return store.get_messages(conversation_id, limit=None)

    def by_reference() -> list:
        return store.get_messages(conversation_id, limit=None, attachments="reference")

    messages_inline, messages_by_reference = inline(), by_reference()
    given_contents = [message["content"] for message in given_messages]
    assert [message["content"] for message in messages_inline] == given_contents
    digests = [
        digest for message in messages_by_reference for digest in references(message["content"])
    ]
    assert len(digests) == plan.image_count, len(digests)
    assert len(set(digests)) == plan.distinct_images, len(set(digests))

    database = baseline.database
    read_query = dataset.bench_query(baseline.dialect, "peer_messages_read")
    bound = bind(read_query, {"conversation_id": conversation_id})
    with database.checkout() as connection:

        def select() -> list[dict]:
            return database.execute(connection, read_query, bound)

        def select_and_parse() -> list[dict]:
            return [json.loads(row["message"]) for row in select()]

        baseline_rows = select()
        assert [json.loads(row["message"]) for row in baseline_rows] == given_messages
        medians_ms = paired_medians([inline, by_reference, select, select_and_parse], plan.repeats)
    bytes_read = [
        json_bytes(messages_inline),
        json_bytes(messages_by_reference),
        row_bytes(baseline_rows),
        row_bytes(baseline_rows),
    ]
    return {
        label: Reading(median, size)
        for label, median, size in zip(READS, medians_ms, bytes_read, strict=True)
    }


# -- the report ------------------------------------------------------------------------


def report(all_figures: list[Figures], plan: Plan, quick: bool) -> str:
    names = [DIALECT_NAMES[figures.dialect] for figures in all_figures]
    image_url_characters = len(images(plan)[0])
    lines = [
        f"# convstore attachments: reading a conversation with images "
        f"({'quick' if quick else 'full'} run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"Machine: {os.cpu_count()} cores. One conversation of "
        f"{plan.message_count:,} messages (user and assistant in turn, 8 to 24 words "
        f"each); {plan.image_count} user messages, spread evenly, also carry a "
        f"{plan.image_bytes:,}-byte PNG as a `data:image/png;base64,` URL "
        f"({image_url_characters:,} characters) in an `image_url` part: "
        f"{plan.distinct_images} distinct images, used in turn, so convstore stores "
        f"{plan.distinct_images} attachments. convstore stores the conversation with "
        "`add_messages`; the baseline stores the same messages as the peers do, each "
        "message's JSON whole (images inline) in a plain table (id, conversation_id, "
        "message, created_at) indexed on conversation_id, read by one SELECT "
        "(`bench/sql/<dialect>/peer_messages_read.sql`) on a held connection. Each "
        "database fresh (PostgreSQL: one scratch database for both; SQLite: a file each).",
        "",
        f"Time: the median of {plan.repeats} reads of the whole conversation, the four "
        "reads taken in turn so that drift on the shared machine hits them alike, after "
        "one untimed read of each. Bytes read: the length of `json.dumps` of what the call returns "
        "(timestamps as `str`); for the baseline, the bytes of the rows read, each value "
        "as text.",
        "",
        "| read of the whole conversation | "
        + " | ".join(f"{name} ms | {name} bytes read" for name in names)
        + " |",
        "|---|" + "---:|---:|" * len(all_figures),
    ]
    for label in READS:
        cells = [
            f"{figures.readings[label].median_ms:,.1f} | {figures.readings[label].bytes_read:,}"
            for figures in all_figures
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Bytes stored. SQLite: each database file (page count x page size; convstore's "
        "holds its whole schema, the search index included). PostgreSQL: "
        "`pg_total_relation_size` (indexes and TOAST included) of "
        + ", ".join(CONVSTORE_TABLES)
        + " for convstore, of "
        + ", ".join(BASELINE_TABLES)
        + " for the baseline.",
        "",
        "| stored | " + " | ".join(f"{name} bytes" for name in names) + " |",
        "|---|" + "---:|" * len(all_figures),
        "| convstore | "
        + " | ".join(f"{figures.convstore_bytes:,}" for figures in all_figures)
        + " |",
        "| baseline (images inline) | "
        + " | ".join(f"{figures.baseline_bytes:,}" for figures in all_figures)
        + " |",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="200 messages with 40 images, 3 reads of each kind"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results file")
    arguments = parser.parse_args(argv)
    plan = QUICK if arguments.quick else FULL
    all_figures = []
    for dialect in (SQLITE, POSTGRES):
        with tempfile.TemporaryDirectory() as folder:
            all_figures.append(measure(dialect, plan, folder))
    text = report(all_figures, plan, arguments.quick)
    suffix = "-quick" if arguments.quick else ""
    (arguments.out / f"attachments-results{suffix}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
