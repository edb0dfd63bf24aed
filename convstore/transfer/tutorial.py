"""Importing databases made by the original tutorial's ``SQLiteConversationStore``
and ``PostgresConversationStore``: tables ``conversations(id, user_id, title,
created_at, updated_at, metadata)`` and ``messages(id, conversation_id, role,
content, timestamp, metadata)``, timestamps in UTC to the second, foreign keys
not enforced.

Messages are ordered by the old integer id, which gives ``seq`` (the n-th
message of a conversation gets seq n, so a rejected message leaves a gap that
a later import of the repaired source fills); their ``tokens`` and
``latency_ms`` come from the metadata keys of those names when present.
Messages whose conversation does not exist are reported and skipped. A
conversation id that is not a UUID gets a stable UUID derived from it (the old
id is kept in the metadata as ``legacy_id``). Importing again adds nothing.

The source is read completely before the destination is opened. Each
conversation is written by :meth:`convstore.Store.import_conversation`, which
checks every value by the rules of :mod:`convstore.validation` and the
destination's :class:`~convstore.Limits`, as every importer's; what cannot be
accepted is reported in :class:`LegacyImportReport`, never half-written:

- Timestamps are read as text by :func:`convstore.validation.timestamp`
  (zone-less, as the tutorial wrote them: UTC). A value that is not a time
  (``'infinity'``, ``'yesterday'``, a number) rejects its message or
  conversation.
- A NULL time (the tutorial's columns allow it) is taken from the nearest
  neighbour in its conversation: a message's from the message before it, else
  the one after it, else its conversation's ``created_at``; a conversation's
  ``created_at`` from its first message, else its ``updated_at``; its
  ``updated_at`` from its last message, else its ``created_at``; and when
  nothing in the conversation has a time, the time the import started. Messages
  are ordered by ``seq``, never by time, so a borrowed time cannot reorder a
  conversation; it keeps its timeline in order and every value plausible.
- NULL or unusable values elsewhere (no id or user id, a role convstore does
  not know, content that is not text, counts that are not whole numbers)
  reject their message or conversation, with the reason.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg

from .. import validation
from ..connect import connect
from ..db.bare import foreign_connection, run_on_connection
from ..db.postgres import PostgresDatabase
from ..db.sqlite import SQLiteDatabase
from ..errors import ConvstoreError, InvalidInput
from ..sqlfiles.catalog import catalogue
from ..store.store import Store
from ..types import SQLITE
from ..urls import DatabaseURL
from ..validation import DEFAULT_LIMITS, Limits

EXPECTED_SCHEMA = (
    "tables conversations(id, user_id, title, created_at, updated_at, metadata) and "
    "messages(id, conversation_id, role, content, timestamp, metadata)"
)


@dataclass
class LegacyImportReport:
    conversations: int = 0
    """Conversations new in the destination."""
    messages: int = 0
    """Messages new in the destination."""
    orphans: list[tuple[Any, Any]] = field(default_factory=list)
    """(old message id, missing conversation id) of each skipped orphan."""
    rejected: list[tuple[Any, str]] = field(default_factory=list)
    """(old message id, reason) of each message convstore could not accept."""
    rejected_conversations: list[tuple[Any, str]] = field(default_factory=list)
    """(old conversation id, reason) of each conversation convstore could not
    accept; none of its messages is imported."""


def import_legacy(
    source_url: str | DatabaseURL,
    destination_url: str | DatabaseURL,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> LegacyImportReport:
    """Import the tutorial-era database at ``source_url`` (read only, never
    changed) into the convstore database at ``destination_url`` (migrated
    first); return what was imported, skipped and rejected.

    ``limits`` are the destination store's (as ``convstore.connect(...,
    limits=)`` takes them): a title, text, metadata or user id over them
    rejects its conversation or message, with the reason.

    :raises InvalidInput: if the source is not such a database (no file there,
        not a database, a table or column missing), before the destination is
        opened.
    :raises ConfigurationError: for a URL convstore cannot use, or ``limits``
        that are not a :class:`~convstore.Limits`.
    :raises DatabaseUnavailable: if either database cannot be reached (retry).
    :raises DatabaseError: for other failures of either database.
    """
    started = datetime.now(timezone.utc)
    source_url = DatabaseURL.of(source_url)
    with _legacy_connection(source_url) as source:
        conversations = _read(source, "conversations", source_url)
        orphans = _read(source, "orphans", source_url)
        messages = _read(source, "messages", source_url)
    report = LegacyImportReport(orphans=[(r["legacy_id"], r["conversation_id"]) for r in orphans])
    by_id: dict[str, dict[str, Any]] = {}
    for conversation in conversations:
        if conversation["id"] is None:
            report.rejected_conversations.append((None, "the conversation has no id"))
        else:
            by_id[conversation["id"]] = conversation
    claimed: dict[str, Any] = {}  # convstore id -> the old id imported under it
    with connect(destination_url, migrate=True, limits=limits) as store:
        for old_id, group in itertools.groupby(messages, key=lambda row: row["conversation_id"]):
            owner = by_id.pop(old_id, None)
            if owner is None:  # joined by the database's rules, not Python's
                report.orphans += [(row["legacy_id"], old_id) for row in group]
            else:
                _import_conversation(store, owner, list(group), report, started, claimed)
        for alone in by_id.values():  # those without messages
            _import_conversation(store, alone, [], report, started, claimed)
    return report


def _import_conversation(
    store: Store,
    legacy: dict[str, Any],
    messages: list[dict[str, Any]],
    report: LegacyImportReport,
    started: datetime,
    claimed: dict[str, Any],
) -> None:
    """Import one legacy conversation and its messages (the n-th gets seq n)
    by :meth:`Store.import_conversation`; record in ``report`` what was new
    and what was rejected, in the order of the messages. ``claimed`` maps
    each convstore id of this run to the old id imported under it: two old
    ids that map to one (a UUID in upper and in lower case) are never merged."""
    message_times = [_time_or_reason(message["created_at_text"]) for message in messages]
    try:
        conversation = _conversation_of(legacy, message_times, started)
        first = claimed.setdefault(conversation["id"], legacy["id"])
        if first != legacy["id"]:
            raise InvalidInput(
                f"its id maps to convstore conversation {conversation['id']}, "
                f"as old id {first!r} does"
            )
    except InvalidInput as error:
        report.rejected_conversations.append(
            (legacy["id"], f"{error}; its {len(messages)} messages were not imported")
        )
        return
    filled_times = _filled(message_times, conversation["created_at"])
    rejected: list[tuple[int, Any, str]] = []  # (seq, old id, reason)
    importable: list[dict[str, Any]] = []
    for seq, (message, created_at) in enumerate(zip(messages, filled_times, strict=True), 1):
        if isinstance(created_at, InvalidInput):
            rejected.append((seq, message["legacy_id"], str(created_at)))
        else:
            importable.append(_message_of(message, seq, created_at))
    try:
        imported = store.import_conversation(conversation, importable, skip_invalid=True)
    except InvalidInput as error:
        report.rejected_conversations.append(
            (legacy["id"], f"{error}; its {len(messages)} messages were not imported")
        )
        return
    for index, reason in imported.rejected:
        seq = importable[index]["seq"]
        rejected.append((seq, messages[seq - 1]["legacy_id"], reason))
    report.rejected += [(old_id, reason) for _, old_id, reason in sorted(rejected)]
    report.conversations += int(imported.created)
    report.messages += imported.messages


def _conversation_of(
    legacy: dict[str, Any],
    message_times: list[str | InvalidInput | None],
    started: datetime,
) -> dict[str, Any]:
    """The :class:`~convstore.types.ImportedConversation` of a legacy one;
    NULL times filled from the messages' (see the module docstring).

    :raises InvalidInput: for a time that is not one.
    """
    conversation_id, metadata = _identity(legacy)
    created_at = _time(legacy["created_at_text"], "created_at")
    updated_at = _time(legacy["updated_at_text"], "updated_at")
    known = [time for time in message_times if isinstance(time, str)]
    created_at = created_at or (known[0] if known else updated_at) or _canonical(started)
    updated_at = updated_at or (known[-1] if known else created_at)
    return {
        "id": conversation_id,
        "user_id": legacy["user_id"],
        "title": legacy["title"],
        "metadata": metadata,
        "created_at": created_at,
        "updated_at": updated_at,
    }


def _message_of(message: dict[str, Any], seq: int, created_at: str) -> dict[str, Any]:
    """The :class:`~convstore.types.ImportedMessage` of a legacy message: its
    ``tokens`` and ``latency_ms`` from the metadata keys of those names."""
    metadata = _json_object(message["metadata_json"])
    return {
        "role": message["role"],
        "content": message["content"],
        "tokens": metadata.pop("tokens", None),
        "latency_ms": metadata.pop("latency_ms", None),
        "metadata": metadata,
        "tool_call_id": f"legacy-{message['legacy_id']}" if message["role"] == "tool" else None,
        "seq": seq,
        "created_at": created_at,
    }


def _time(value: Any, field_name: str) -> str | None:
    """A legacy time as canonical text; ``None`` for NULL."""
    return None if value is None else validation.timestamp(field_name, value)


def _time_or_reason(value: Any) -> str | InvalidInput | None:
    try:
        return _time(value, "timestamp")
    except InvalidInput as error:
        return error


def _filled(times: list[str | InvalidInput | None], fallback: str) -> list[str | InvalidInput]:
    """Each NULL time replaced by the previous known one, else the next, else
    ``fallback``; a rejected time stays its reason and lends nothing."""
    known = [time for time in times if isinstance(time, str)]
    previous = known[0] if known else fallback
    filled: list[str | InvalidInput] = []
    for time in times:
        if isinstance(time, str):
            previous = time
        filled.append(previous if time is None else time)
    return filled


def _canonical(moment: datetime) -> str:
    return validation.timestamp("started", moment)


def _identity(legacy: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    metadata = _json_object(legacy["metadata_json"])
    try:
        return str(uuid.UUID(str(legacy["id"]))), metadata
    except ValueError:
        metadata["legacy_id"] = legacy["id"]
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"convstore-legacy:{legacy['id']}")), metadata


def _json_object(text: Any) -> dict[str, Any]:
    """Legacy metadata as a dict: a JSON object as it is, anything else kept
    whole under ``legacy_metadata`` (and checked like any value)."""
    if text is None or text == "":
        return {}
    if not isinstance(text, str):
        return {"legacy_metadata": text}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return {"legacy_metadata": text}
    return value if isinstance(value, dict) else {"legacy_metadata": value}


@contextmanager
def _legacy_connection(url: DatabaseURL) -> Iterator[Any]:
    """A plain connection: the legacy database is only read, never migrated."""
    if url.dialect == SQLITE:
        path = url.sqlite_path
        try:
            found = Path(path).is_file()
        except OSError as error:  # a name too long for the file system, say
            raise InvalidInput(f"cannot read {path[:80]!r}: {error.strerror}") from None
        if not found:
            raise InvalidInput(f"there is no SQLite database at {path}")
    with ExitStack() as opened:
        with _naming_the_source(url):
            connection = opened.enter_context(foreign_connection(url))
        yield connection


@contextmanager
def _naming_the_source(url: DatabaseURL) -> Iterator[None]:
    """Errors opening the source, saying it is the source and which (the
    destination is opened later, and fails with its own URL)."""
    try:
        yield
    except ConvstoreError as error:
        raise type(error)(f"cannot open the source {url.redacted}: {error}") from error


def _read(connection: Any, name: str, url: DatabaseURL) -> list[dict[str, Any]]:
    """The rows of a legacy query (times as text: the values are checked one by one)."""
    database = SQLiteDatabase if url.dialect == SQLITE else PostgresDatabase
    with database.translate_errors(), _not_a_tutorial_database(url):
        return run_on_connection(connection, catalogue(url.dialect)[f"legacy.{name}"])


@contextmanager
def _not_a_tutorial_database(url: DatabaseURL) -> Iterator[None]:
    """Errors that say the source has another shape, as InvalidInput."""
    try:
        yield
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as error:
        raise _shape_error(url, error.diag.message_primary) from error
    except sqlite3.OperationalError as error:
        if "no such table" not in str(error) and "no such column" not in str(error):
            raise
        raise _shape_error(url, str(error)) from error
    except sqlite3.DatabaseError as error:
        if "not a database" not in str(error):
            raise
        raise _shape_error(url, str(error)) from error


def _shape_error(url: DatabaseURL, reason: Any) -> ConvstoreError:
    return InvalidInput(
        f"{url.redacted} is not a database of the tutorial's stores ({reason}); "
        f"expected {EXPECTED_SCHEMA}"
    )
