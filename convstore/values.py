"""Plain Python values out of database rows, the same on both databases.

Result columns follow naming rules that every query file keeps: columns named
``metadata``, ``tool_calls`` or ending in ``_metadata`` hold JSON, columns
ending in ``_at`` hold timestamps, and ``pinned`` is a boolean. Ids come back as ``str``, timestamps
as timezone-aware UTC ``datetime``, JSON as dicts and lists.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

_JSON_COLUMNS = {"metadata", "tool_calls"}
_BOOLEAN_COLUMNS = {"pinned"}  # SQLite has no boolean type: 0 and 1


def is_json_column(column: str) -> bool:
    return column in _JSON_COLUMNS or column.endswith("_metadata")


def to_python(column: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    if column in _BOOLEAN_COLUMNS:
        return bool(value)
    if isinstance(value, str):
        if column.endswith("_at"):
            return _parse_timestamp(value)
        if is_json_column(column):
            return json.loads(value)
    return value


def _parse_timestamp(text: str) -> datetime:
    # SQLite stores '2026-11-25T13:38:38.123Z'; Python 3.10 does not read the 'Z'.
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def row_dict(columns: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    return {column: to_python(column, value) for column, value in zip(columns, values, strict=True)}
