"""``make bench``'s "writes" table: convstore's write path beside what the
peers write, and its per-call overhead on a read, on both databases, for
messages of about 1 KB and 4 KB. Writes ``bench/writes-results.md``
(``--quick``: ``writes-results-quick.md``).

The baselines, measured in the same run on the same database:

- **the peers' shape**: one row per message in a table of (id, conversation
  id, JSON message, time) with an index on the conversation id
  (``sql/<dialect>/peer_messages_*.sql``), which is what the fastest peer
  stores write (langchain-postgres, OpenAI Agents' ``SQLiteSession``): a
  single append is one plain ``INSERT`` per call on a held connection (on
  SQLite in WAL mode, a commit per message), a batch a plain ``COPY``
  (PostgreSQL) or ``executemany`` in one transaction (SQLite).
- **search off**: convstore's own appends again after its search index is
  dropped from the bench's database (``drop_search.sql``: PostgreSQL's
  ``search_vector`` and its indexes, SQLite's trigger that notes new
  messages for the index). Appends leave indexing to later (migrations
  pg_0024, sqlite_0018), so the "search on" rows are followed by the rate of
  ``index_pending_search`` over what they left, and the rate of appending
  and indexing together: what search costs the write path, and in all.
- **the runner's overhead on a read**: ``get_messages(limit=50)`` and
  ``get_message`` (one row) beside the same statements (convstore's own ``.sql``)
  prepared and run by hand on a held connection, rows fetched as dicts.

Rates are medians of rounds that alternate with their baseline's, so drift on
a shared machine hits both; latencies medians of paired calls.

    python -m bench.writes            # the full run
    python -m bench.writes --quick    # a small version
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

import convstore
from bench import dataset
from bench.run import paired_medians, scratch_postgres
from convstore.sqlfiles.catalog import bind, queries_of
from convstore.store import Store
from convstore.types import POSTGRES, SQLITE

RESULTS = Path(__file__).resolve().parent
PROFILES = {"~1 KB": 1_000, "~4 KB": 4_000}
"""Message sizes: characters of text (ASCII, so bytes too)."""


@dataclass(frozen=True)
class Plan:
    appends: int
    """Single appends per round (six rounds, the first a warm-up)."""
    batch: int
    """Messages per batch (three rounds)."""
    read_repeats: int


FULL = Plan(appends=500, batch=1_000, read_repeats=400)
QUICK = Plan(appends=60, batch=200, read_repeats=40)


def text_of(size: int, generator: random.Random) -> str:
    """Sentences of bench/dataset.py's words, about ``size`` characters."""
    sentences: list[str] = []
    length = 0
    while length < size:
        sentences.append(dataset.sentence(generator))
        length += len(sentences[-1]) + 1
    return " ".join(sentences)[:size]


class Figures:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = {}

    def add(self, column: str, name: str, value: float) -> None:
        self.rows.setdefault(name, {})[column] = value
        print(f"  {column:<20} {name:<62} {value:>12,.3f}", flush=True)


def measure(dialect: str, profile: str, size: int, plan: Plan, figures: Figures) -> None:
    column = f"{dialect} {profile}"
    with _fresh_database(dialect) as url, convstore.connect(url, max_size=2) as store:
        generator = random.Random(f"{dialect}-{size}")
        texts = [text_of(size, generator) for _ in range(64)]
        _create_peer_table(store)
        _appends(store, texts, plan, column, figures, search="on")
        _batches(store, texts, plan, column, figures, search="on")
        _indexing_left_for_later(store, plan, column, figures)
        _reads(store, url, plan, column, figures)
        store.database.run(dataset.bench_query(dialect, "drop_search"))
        _appends(store, texts, plan, column, figures, search="off")
        _batches(store, texts, plan, column, figures, search="off")


def _create_peer_table(store: Store) -> None:
    for name in ("peer_messages_create", "peer_messages_index"):
        store.database.run(dataset.bench_query(store.dialect, name))


def _peer_row(conversation_id: str, text: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "conversation_id": conversation_id,
        "message": json.dumps({"role": "user", "content": text}),
        "created_at": datetime.now(timezone.utc).isoformat(),
    }


def _appends(
    store: Store, texts: list[str], plan: Plan, column: str, figures: Figures, *, search: str
) -> None:
    conversation_id = store.create_conversation("bench-writes")
    insert = dataset.bench_query(store.dialect, "peer_messages_insert")
    convstore_rates, peer_rates = [], []
    with store.database.checkout() as held:  # autocommit, held for the whole measurement
        for _ in range(6):
            started = time.perf_counter()
            for i in range(plan.appends):
                store.add_message(conversation_id, "user", texts[i % len(texts)])
            convstore_rates.append(plan.appends / (time.perf_counter() - started))
            rows = [_peer_row(conversation_id, texts[i % len(texts)]) for i in range(plan.appends)]
            started = time.perf_counter()
            for row in rows:
                held.execute(insert.statement, row)
            peer_rates.append(plan.appends / (time.perf_counter() - started))
    convstore_rate = statistics.median(convstore_rates[1:])
    figures.add(column, f"add_message, search {search}, msgs/s", convstore_rate)
    if search == "on":
        peer_rate = statistics.median(peer_rates[1:])
        figures.add(column, "peers' shape: INSERT per call, held connection, rows/s", peer_rate)
        figures.add(column, "add_message / peers' INSERT, x", convstore_rate / peer_rate)
    else:
        on = figures.rows["add_message, search on, msgs/s"][column]
        figures.add(column, "add_message search off / on, x", convstore_rate / on)


def _batches(
    store: Store, texts: list[str], plan: Plan, column: str, figures: Figures, *, search: str
) -> None:
    messages = [{"role": "user", "content": texts[i % len(texts)]} for i in range(plan.batch)]
    convstore_rates, bulk_rates = [], []
    for _ in range(3):
        conversation_id = store.create_conversation("bench-writes")
        started = time.perf_counter()
        store.add_messages(conversation_id, messages)
        convstore_rates.append(plan.batch / (time.perf_counter() - started))
        rows = [_peer_row(conversation_id, message["content"]) for message in messages]
        started = time.perf_counter()
        _bulk_peer_insert(store, rows)
        bulk_rates.append(plan.batch / (time.perf_counter() - started))
    convstore_rate = statistics.median(convstore_rates)
    name = f"add_messages, batches of {plan.batch}, search {search}, msgs/s"
    figures.add(column, name, convstore_rate)
    if search == "on":
        bulk = "COPY" if store.dialect == POSTGRES else "executemany, one transaction"
        bulk_rate = statistics.median(bulk_rates)
        figures.add(column, f"peers' shape: {bulk}, rows/s", bulk_rate)
        figures.add(column, f"add_messages / peers' {bulk}, x", convstore_rate / bulk_rate)
    else:
        on = figures.rows[f"add_messages, batches of {plan.batch}, search on, msgs/s"][column]
        figures.add(column, "add_messages search off / on, x", convstore_rate / on)


def _indexing_left_for_later(store: Store, plan: Plan, column: str, figures: Figures) -> None:
    """Index what the appends left."""
    started = time.perf_counter()
    indexed = store.index_pending_search()
    rate = indexed / (time.perf_counter() - started)
    figures.add(column, "index_pending_search afterwards, msgs/s", rate)
    for name in ("add_message", f"add_messages, batches of {plan.batch}"):
        appended = figures.rows[f"{name}, search on, msgs/s"][column]
        figures.add(column, f"{name}, then indexed, msgs/s", 1 / (1 / appended + 1 / rate))


def _bulk_peer_insert(store: Store, rows: list[dict]) -> None:
    database = store.database
    if store.dialect == POSTGRES:
        copy = dataset.bench_query(POSTGRES, "peer_messages_copy")
        with database.transaction():
            database.copy_rows(
                copy, ((r["id"], r["conversation_id"], r["message"], r["created_at"]) for r in rows)
            )
        return
    insert = dataset.bench_query(SQLITE, "peer_messages_insert")
    with database.transaction(), database.connection() as connection:
        connection.executemany(insert.statement, rows)


def _reads(store: Store, url: str, plan: Plan, column: str, figures: Figures) -> None:
    """convstore's calls beside their own statements run by hand."""
    conversation_id = store.create_conversation("bench-reads")
    store.add_messages(conversation_id, [{"role": "user", "content": "x" * 1_000}] * 200)
    catalogue = queries_of(store.dialect)
    calls = {
        "get_messages(limit=50)": (
            lambda: store.get_messages(conversation_id, limit=50),
            catalogue["get_messages"],
            {"conversation_id": conversation_id, "user_id": None, "limit": 50, "before_seq": None},
        ),
        "get_message": (
            lambda: store.get_message(conversation_id, 100),
            catalogue["get_message"],
            {"conversation_id": conversation_id, "user_id": None, "seq": 100},
        ),
    }
    with _held_by_hand(store.dialect, url) as by_hand:
        for name, (call, query, params) in calls.items():
            bound = bind(query, params)
            convstore_ms, by_hand_ms = paired_medians(
                [call, lambda q=query, b=bound: by_hand(q.statement, b)], plan.read_repeats
            )
            figures.add(column, f"{name}, ms", convstore_ms)
            figures.add(column, f"{name}: its statement by hand, held connection, ms", by_hand_ms)
            figures.add(column, f"{name} / by hand, x", convstore_ms / by_hand_ms)


@contextmanager
def _held_by_hand(dialect: str, url: str) -> Iterator[Callable[[str, dict], list]]:
    if dialect == POSTGRES:
        with psycopg.connect(url, autocommit=True, row_factory=dict_row) as connection:
            yield lambda statement, params: connection.execute(
                statement, params, prepare=True
            ).fetchall()
        return
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    connection.row_factory = sqlite3.Row
    try:
        yield lambda statement, params: [
            dict(row) for row in connection.execute(statement, params).fetchall()
        ]
    finally:
        connection.close()


@contextmanager
def _fresh_database(dialect: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        if dialect == SQLITE:
            url, cleanup = f"sqlite:///{folder}/writes.db", lambda: None
        else:
            url, cleanup = scratch_postgres("_writes")
        try:
            convstore.migrate(url)
            yield url
        finally:
            cleanup()


def write_report(
    figures: Figures, columns: list[str], plan: Plan, quick: bool, folder: Path
) -> str:
    lines = [
        f"# convstore writes ({'quick' if quick else 'full'} run, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"Machine: {os.cpu_count()} cores, shared. {plan.appends} single appends a round "
        f"(5 counted), batches of {plan.batch} (3 rounds), {plan.read_repeats} paired reads; "
        "medians. Ratios are from this run. Method: bench/writes.py.",
        "",
        "| figure | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for name, values in figures.rows.items():
        cells = [f"{values[c]:,.3f}" if c in values else "" for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    report = "\n".join(lines) + "\n"
    (folder / f"writes-results{'-quick' if quick else ''}.md").write_text(report)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a small run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results file")
    arguments = parser.parse_args(argv)
    plan = QUICK if arguments.quick else FULL
    figures = Figures()
    columns = []
    for dialect in (SQLITE, POSTGRES):
        for profile, size in PROFILES.items():
            columns.append(f"{dialect} {profile}")
            measure(dialect, profile, size, plan, figures)
    print()
    print(write_report(figures, columns, plan, arguments.quick, arguments.out))


if __name__ == "__main__":
    main()
