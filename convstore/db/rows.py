"""Plain Python values out of database rows, the same on both databases.

Result columns follow naming rules that every query file keeps: columns named
in :data:`JSON_COLUMNS` or ending in ``_metadata`` hold JSON (an object or an
array, never a bare string, which SQLite's text and PostgreSQL's parsed jsonb
could not tell apart), columns ending in ``_at`` hold timestamps, ``pinned``
and ``tokens_estimated`` are booleans, ``id`` or ``*_id`` columns may hold
UUIDs, and ``*_ids`` columns hold a JSON array of ids (a list of ``str``). A
``content_parts`` column that is not NULL (a message's content given as
parts) becomes the row's ``content``, in its place; the column itself is not
returned. Ids come back as ``str``, timestamps as
timezone-aware UTC ``datetime``, JSON as dicts and lists.

The conversion of each column is chosen from its name once per set of result
columns (a query's are the same at every call), not once per value: a
context of 40 messages has over 500 values.

A stored value that cannot be converted (text in a SQLite timestamp column
that is not ISO 8601, say, written by hand or by another program) raises
:class:`~convstore.errors.DatabaseError` naming the column, not a bare
``ValueError``. convstore itself writes only what converts: caller-supplied
times pass :func:`convstore.validation.timestamp` first.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from ..errors import DatabaseError

Converter = Callable[[Any], Any]

JSON_COLUMNS = frozenset(
    {"metadata", "tool_calls", "payload", "content_parts", "function_call", "extra"}
)
BOOLEAN_COLUMNS = frozenset({"pinned", "tokens_estimated"})


def _timestamp(value: Any) -> datetime:
    if isinstance(value, str):
        # SQLite stores '2026-11-25T13:38:38.123Z'; Python 3.10 does not read the 'Z'.
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:  # a zone-less value (older schemas) is UTC, not local time
        return value.replace(tzinfo=timezone.utc)
    return value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)


def _json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    # Most metadata and extra are empty: spare them the parser.
    return {} if value == "{}" else json.loads(value)


def _identifier(value: Any) -> Any:
    return _uuid_text(value) if isinstance(value, uuid.UUID) else value


@functools.lru_cache(maxsize=4096)
def _uuid_text(value: uuid.UUID) -> str:
    """A UUID's text, remembered: the rows of one read mostly repeat one
    conversation's id, and ``UUID.__str__`` is slow Python."""
    return str(value)


def _identifiers(value: Any) -> list[Any]:
    return [_identifier(each) for each in _json(value)]


def converter_for(column: str) -> Converter | None:
    """How to turn a non-NULL value of ``column`` into a plain value; ``None``
    when the driver's value is already plain. The converter raises
    :class:`~convstore.errors.DatabaseError` for a value it cannot convert."""
    if column.endswith("_at"):
        return _reporting(column, "an ISO 8601 timestamp", _timestamp)
    if column in JSON_COLUMNS or column.endswith("_metadata"):
        return _reporting(column, "JSON", _json)
    if column in BOOLEAN_COLUMNS:
        return bool  # SQLite has no boolean type: 0 and 1
    if column == "id" or column.endswith("_id"):
        return _identifier
    if column.endswith("_ids"):
        return _reporting(column, "a JSON array of ids", _identifiers)
    return None


def _reporting(column: str, expected: str, convert: Converter) -> Converter:
    def converted(value: Any) -> Any:
        try:
            return convert(value)
        except (ValueError, TypeError, AttributeError, RecursionError) as error:
            shown = repr(value)
            raise DatabaseError(
                f"column {column} holds {shown[:60]}{'...' if len(shown) > 60 else ''}, "
                f"which is not {expected} ({error}); the row was not written by convstore"
            ) from None

    return converted


@functools.lru_cache(maxsize=1024)
def _converters(columns: tuple[str, ...]) -> tuple[Converter | None, ...]:
    """Each column's converter, chosen once per set of columns: a query's
    result columns are the same at every call."""
    return tuple(converter_for(column) for column in columns)


def row_dicts(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    # Column by column: one converter call per value, no lookups per row.
    values_by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for index, convert in enumerate(_converters(tuple(columns))):
        if convert is not None:
            values_by_column[index] = [
                None if value is None else convert(value) for value in values_by_column[index]
            ]
    plain = [
        dict(zip(columns, values, strict=True)) for values in zip(*values_by_column, strict=True)
    ]
    if "content_parts" in columns:
        for row in plain:
            parts = row.pop("content_parts")
            if parts is not None:
                row["content"] = parts
    return plain
