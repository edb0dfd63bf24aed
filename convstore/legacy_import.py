"""Importing databases made by the original tutorial's ``SQLiteConversationStore``
and ``PostgresConversationStore``: tables ``conversations(id, user_id, title,
created_at, updated_at, metadata)`` and ``messages(id, conversation_id, role,
content, timestamp, metadata)``, timestamps in UTC to the second, foreign keys
not enforced.

Messages are ordered by the old integer id, which gives ``seq``; their
``tokens`` and ``latency_ms`` come from the metadata keys of those names when
present. Messages whose conversation does not exist are reported and skipped.
A conversation id that is not a UUID gets a stable UUID derived from it (the old
id is kept in the metadata as ``legacy_id``). Importing again adds nothing.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import psycopg

from . import validation
from .connect import connect
from .errors import ConvstoreError
from .postgres import PostgresDatabase
from .resources import sql_dir
from .sqlfile import SQLITE, Query, load_query
from .sqlite import SQLiteDatabase
from .store import Store
from .urls import dialect_of, psycopg_conninfo, sqlite_path


@dataclass
class LegacyImportReport:
    conversations: int = 0
    messages: int = 0
    orphans: list[tuple[int, str]] = field(default_factory=list)
    """(old message id, missing conversation id) of each skipped orphan."""
    rejected: list[tuple[int, str]] = field(default_factory=list)
    """(old message id, reason) of each message convstore could not accept."""


def import_legacy(source_url: str, destination_url: str) -> LegacyImportReport:
    report = LegacyImportReport()
    dialect = dialect_of(source_url)
    with _legacy_connection(source_url) as source, connect(destination_url, migrate=True) as store:
        conversations = {row["id"]: row for row in _read(source, dialect, "conversations")}
        report.orphans = [(r["legacy_id"], r["conversation_id"]) for r in
                          _read(source, dialect, "orphans")]  # fmt: skip
        rows = _read(source, dialect, "messages")
        for old_id, messages in itertools.groupby(rows, key=lambda row: row["conversation_id"]):
            _import_conversation(store, conversations.pop(old_id), list(messages), report)
        for conversation in conversations.values():  # those without messages
            _import_conversation(store, conversation, [], report)
    return report


def _import_conversation(
    store: Store, legacy: dict[str, Any], messages: list[dict[str, Any]], report: LegacyImportReport
) -> None:
    conversation_id, metadata = _identity(legacy)
    with store.transaction():
        created = store.run(
            "import_conversation",
            id=conversation_id,
            user_id=validation.user_id(legacy["user_id"]),
            title=legacy["title"],
            metadata=validation.metadata_json("metadata", metadata),
            created_at=legacy["created_at"].isoformat(),
            updated_at=legacy["updated_at"].isoformat(),
        )
        report.conversations += len(created)
        for seq, message in enumerate(messages, start=1):
            try:
                with store.database.isolated():
                    report.messages += len(_import_message(store, conversation_id, seq, message))
            except ConvstoreError as error:
                report.rejected.append((message["legacy_id"], str(error)))
        store.run("recount_tokens_before", conversation_id=conversation_id)
        store.run(
            "recount_conversation",
            conversation_id=conversation_id,
            updated_at=legacy["updated_at"].isoformat(),
        )


def _import_message(
    store: Store, conversation_id: str, seq: int, message: dict[str, Any]
) -> list[dict[str, Any]]:
    metadata = _json_object(message["metadata_json"])
    checked = validation.message(
        role=message["role"],
        content=message["content"],
        tokens=metadata.pop("tokens", None),
        latency_ms=metadata.pop("latency_ms", None),
        metadata=metadata,
        tool_call_id=f"legacy-{message['legacy_id']}" if message["role"] == "tool" else None,
    )
    return store.run(
        "import_message",
        conversation_id=conversation_id,
        seq=seq,
        created_at=message["created_at"].isoformat(),
        **checked,
    )


def _identity(legacy: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    metadata = _json_object(legacy["metadata_json"])
    try:
        return str(uuid.UUID(str(legacy["id"]))), metadata
    except ValueError:
        metadata["legacy_id"] = legacy["id"]
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"convstore-legacy:{legacy['id']}")), metadata


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {"legacy_metadata": text}
    return value if isinstance(value, dict) else {"legacy_metadata": value}


@contextmanager
def _legacy_connection(url: str) -> Iterator[Any]:
    """A plain connection: the legacy database is only read, never migrated."""
    if dialect_of(url) == SQLITE:
        connection = sqlite3.connect(f"file:{sqlite_path(url)}?mode=ro", uri=True)
        try:
            yield connection
        finally:
            connection.close()
    else:
        with psycopg.connect(psycopg_conninfo(url), options="-c TimeZone=UTC") as connection:
            yield connection


@cache
def _legacy_query(dialect: str, name: str) -> Query:
    path = sql_dir(dialect).parent / "legacy" / f"{dialect}_{name}.sql"
    return load_query(path, dialect, name, label=f"sql/legacy/{dialect}_{name}.sql")


def _read(connection: Any, dialect: str, name: str) -> list[dict[str, Any]]:
    database = SQLiteDatabase if dialect == SQLITE else PostgresDatabase
    with database.translate_errors():
        return database.execute(connection, _legacy_query(dialect, name), {})
