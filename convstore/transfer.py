"""Moving data from SQLite to PostgreSQL: fast (``COPY``), idempotent and
resumable, in bounded memory, and verified at the end.

Conversations are copied in id order, a page at a time; each page is one
destination transaction, so an interrupted run (even ``kill -9``) leaves whole
pages behind and the next run carries on. A conversation already at the
destination gets only the messages after its last ``seq`` there, so running
again copies nothing twice. Rows keep their ids, ``seq``, running totals,
timestamps (UTC, as stored), tool-call fields and metadata exactly.
Messages edited or deleted at the source after they were copied are not
propagated; the verification reports such conversations.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from typing import Any

from .connect import connect
from .errors import ConfigurationError
from .migrate import migrate
from .resources import sql_dir
from .sqlfile import POSTGRES, SQLITE, Query, load_query
from .store import Store
from .urls import dialect_of
from .values import row_dicts

PAGE_SIZE = 500
"""Conversations per destination transaction."""


@dataclass
class TransferReport:
    conversations_copied: int = 0
    messages_copied: int = 0
    conversations_checked: int = 0
    mismatched: list[str] = field(default_factory=list)
    """Conversations whose message count or content checksum differs."""

    @property
    def verified(self) -> bool:
        return not self.mismatched


def transfer(
    source_url: str,
    destination_url: str,
    *,
    verify: bool = True,
    progress: bool = False,
    page_size: int = PAGE_SIZE,
) -> TransferReport:
    """Copy every conversation and message of the SQLite database at
    ``source_url`` into the PostgreSQL database at ``destination_url``
    (migrated first if needed), then verify both sides agree."""
    if dialect_of(source_url) != SQLITE or dialect_of(destination_url) != POSTGRES:
        raise ConfigurationError("transfer copies from a sqlite:/// URL to a postgresql:// URL")
    migrate(destination_url)
    report = TransferReport()
    with (
        connect(source_url) as source,
        connect(destination_url, statement_timeout=3600) as destination,
    ):
        totals = _run(source, "source_totals")[0]
        with _progress(progress, totals["messages"], "copying") as bar:
            for page in _pages(source, page_size):
                copied = _copy_page(source, destination, page)
                report.conversations_copied += copied.conversations_copied
                report.messages_copied += copied.messages_copied
                bar.update(sum(c["message_count"] for c in page))
        if verify:
            _verify(source, destination, report, progress, totals["conversations"])
    return report


def verify_transfer(
    source_url: str, destination_url: str, *, progress: bool = False
) -> TransferReport:
    """Only compare both sides: per-conversation message counts and checksums."""
    report = TransferReport()
    with connect(source_url) as source, connect(destination_url) as destination:
        conversations = _run(source, "source_totals")[0]["conversations"]
        _verify(source, destination, report, progress, conversations)
    return report


# -- copying -----------------------------------------------------------------------------


def _pages(source: Store, page_size: int = PAGE_SIZE) -> Iterator[list[dict[str, Any]]]:
    after_id = ""
    while True:
        page = _run(source, "source_conversations", after_id=after_id, limit=page_size)
        if not page:
            return
        yield page
        after_id = page[-1]["id"]


def _copy_page(source: Store, destination: Store, page: list[dict[str, Any]]) -> TransferReport:
    copied = TransferReport()
    ids = [conversation["id"] for conversation in page]
    database = destination.database
    with database.transaction(), database.connection() as connection:
        present = {row["id"]: row["last_seq"] for row in
                   _run(destination, "destination_state", ids=json.dumps(ids))}  # fmt: skip
        new = [c for c in page if c["id"] not in present]
        grown = [c for c in page if c["id"] in present and c["last_seq"] > present[c["id"]]]
        with connection.cursor() as cursor:
            with cursor.copy(_transfer_query("copy_conversations").statement) as copy:
                for conversation in new:
                    copy.write_row(_conversation_row(conversation))
            for conversation in grown:
                _run(destination, "advance_conversation", **_counters(conversation))
            after_seqs = {c["id"]: present.get(c["id"], 0) for c in new + grown}
            with cursor.copy(_transfer_query("copy_messages").statement) as copy:
                for message in _source_messages(source, after_seqs):
                    copy.write_row(_message_row(message))
                    copied.messages_copied += 1
    copied.conversations_copied = len(new)
    return copied


def _source_messages(source: Store, after_seqs: dict[str, int]) -> Iterator[tuple]:
    """The source rows, streamed from the cursor rather than fetched at once."""
    if not after_seqs:
        return
    query = _transfer_query("source_messages")
    with source.database.checkout() as connection:
        cursor = connection.execute(query.statement, {"after_seqs": json.dumps(after_seqs)})
        columns = [column[0] for column in cursor.description]
        for values in cursor:
            yield dict(zip(columns, values, strict=True))


def _conversation_row(conversation: dict[str, Any]) -> tuple:
    return (
        conversation["id"], conversation["user_id"], conversation["title"],
        conversation["metadata_json"], conversation["created_at_text"],
        conversation["updated_at_text"], conversation["last_seq"],
        conversation["message_count"], conversation["total_tokens"],
        conversation["pinned_tokens"],
    )  # fmt: skip


def _counters(conversation: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": conversation["id"],
        "updated_at": conversation["updated_at_text"],
        "last_seq": conversation["last_seq"],
        "message_count": conversation["message_count"],
        "total_tokens": conversation["total_tokens"],
        "pinned_tokens": conversation["pinned_tokens"],
    }


def _message_row(message: dict[str, Any]) -> tuple:
    return (
        message["conversation_id"], message["seq"], message["user_id"], message["role"],
        message["content"], message["tool_calls_json"], message["tool_call_id"],
        message["name"], message["tokens"], message["latency_ms"], bool(message["pinned"]),
        message["tokens_before"], message["metadata_json"], message["idempotency_key"],
        message["created_at_text"],
    )  # fmt: skip


# -- verifying ---------------------------------------------------------------------------


def _verify(
    source: Store, destination: Store, report: TransferReport, progress: bool, total: int
) -> None:
    with _progress(progress, total, "verifying") as bar:
        for page in _pages(source):
            ids = [conversation["id"] for conversation in page]
            expected = _checksums(_source_messages(source, dict.fromkeys(ids, 0)))
            actual = _checksums(_destination_messages(destination, ids))
            for conversation_id in ids:
                if expected.get(conversation_id) != actual.get(conversation_id):
                    report.mismatched.append(conversation_id)
            report.conversations_checked += len(ids)
            bar.update(len(ids))


def _destination_messages(destination: Store, ids: list[str]) -> Iterator[dict[str, Any]]:
    """The destination rows through a server-side cursor, a few thousand at a time."""
    database = destination.database
    with database.transaction(), database.connection() as connection:
        with connection.cursor(name="convstore_verify") as cursor:
            cursor.itersize = 5_000
            cursor.execute(
                _transfer_query("destination_messages").statement, {"ids": json.dumps(ids)}
            )
            columns = [column.name for column in cursor.description]
            for values in cursor:
                yield from row_dicts(columns, [values])


def _checksums(messages: Any) -> dict[str, tuple[int, str]]:
    """Per conversation: message count and a SHA-256 of every message's fields,
    in forms both databases agree on."""
    digests: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for message in messages:
        conversation_id = str(message["conversation_id"])
        digest = digests.setdefault(conversation_id, hashlib.sha256())
        counts[conversation_id] = counts.get(conversation_id, 0) + 1
        digest.update(json.dumps(_canonical(message), sort_keys=True, default=str).encode())
    return {key: (counts[key], digest.hexdigest()) for key, digest in digests.items()}


def _canonical(message: dict[str, Any]) -> list[Any]:
    def parsed(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    created = message.get("created_at_text", message.get("created_at"))
    if isinstance(created, str):
        created = datetime.fromisoformat(created.replace("Z", "+00:00"))
    return [
        message["seq"], message["role"], message["content"],
        parsed(message.get("tool_calls_json", message.get("tool_calls"))),
        message["tool_call_id"], message["name"], message["tokens"], message["latency_ms"],
        bool(message["pinned"]), message["tokens_before"],
        parsed(message.get("metadata_json", message.get("metadata"))),
        message["idempotency_key"], created.astimezone(timezone.utc).isoformat(),
    ]  # fmt: skip


# -- plumbing ----------------------------------------------------------------------------


@cache
def _transfer_query(name: str) -> Query:
    dialect = POSTGRES if name.startswith(("destination", "copy", "advance")) else SQLITE
    path = sql_dir(dialect).parent / "transfer" / f"{name}.sql"
    return load_query(path, dialect, name, label=f"sql/transfer/{name}.sql")


def _run(store: Store, name: str, **params: Any) -> list[dict[str, Any]]:
    return store.database.run_query(_transfer_query(name), **params)


class _NoProgress:
    def update(self, amount: int) -> None:
        pass

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


def _progress(shown: bool, total: int, label: str) -> Any:
    if not shown:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=" msg" if label == "copying" else " conv")
