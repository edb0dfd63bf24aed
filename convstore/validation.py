"""Checks on every argument of the public API, run before anything is written.

Both databases get the same rules, so a value one accepts the other accepts
too: PostgreSQL cannot store NUL characters in text or JSON, so neither does
convstore; text must be encodable as UTF-8 (no lone surrogates); JSON must be
standard JSON (no NaN or Infinity).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInput

ROLES = ("system", "developer", "user", "assistant", "tool")


@dataclass(frozen=True)
class Limits:
    """The largest values a store accepts; larger ones raise InvalidInput.
    Set them with ``convstore.connect(..., limits=Limits(...))``."""

    max_text_bytes: int = 8 * 1024 * 1024
    """Content, titles, names and ids, as UTF-8."""
    max_json_bytes: int = 1024 * 1024
    """Metadata and tool calls, serialised."""
    max_json_depth: int = 64
    """Nesting of metadata and tool calls."""


DEFAULT_LIMITS = Limits()
MAX_INTEGER = 2**31 - 1
"""The largest token count or latency the integer columns hold."""


def conversation_id(value: Any) -> str:
    """The canonical text form of a conversation id (a UUID)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise InvalidInput(f"conversation_id must be a UUID, got {_show(value)}")


def user_id(value: Any) -> str:
    return nonempty_text("user_id", value)


def nonempty_text(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{field} must be a non-empty string, got {_show(value)}")
    return text(field, value)


def optional_nonempty_text(field: str, value: Any) -> str | None:
    return None if value is None else nonempty_text(field, value)


def text(field: str, value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """A string PostgreSQL and SQLite both store exactly, within the size limit."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string, got {_show(value)}")
    if "\x00" in value:
        raise InvalidInput(
            f"{field} contains a NUL character (\\x00), which PostgreSQL cannot store"
        )
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise InvalidInput(f"{field} is not valid Unicode text: {error.reason}") from None
    if size > limits.max_text_bytes:
        raise InvalidInput(
            f"{field} is {size:,} bytes; the limit is {limits.max_text_bytes:,} (Limits.max_text_bytes)"
        )
    return value


def optional_text(field: str, value: Any, limits: Limits = DEFAULT_LIMITS) -> str | None:
    return None if value is None else text(field, value, limits)


def role_name(value: Any) -> str:
    if value not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}; got {_show(value)}")
    return value


def count(field: str, value: Any, *, minimum: int = 0) -> int:
    """A whole number in [minimum, MAX_INTEGER]; ``bool`` is not a number here."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number, got {_show(value)}")
    if not minimum <= value <= MAX_INTEGER:
        raise InvalidInput(f"{field} must be between {minimum} and {MAX_INTEGER}, got {value}")
    return value


def optional_count(field: str, value: Any) -> int | None:
    return None if value is None else count(field, value)


def flag(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be True or False, got {_show(value)}")
    return value


def metadata_json(field: str, value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """A JSON object as text (``None`` means ``{}``)."""
    if value is None:
        return "{}"
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field} must be a JSON object (a dict), got {_show(value)}")
    return _json_text(field, dict(value), limits)


def tool_calls_json(value: Any, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """The OpenAI ``tool_calls`` list as JSON text, or ``None``."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, Mapping) for c in value):
        raise InvalidInput(f"tool_calls must be a list of objects, got {_show(value)}")
    return _json_text("tool_calls", [dict(call) for call in value], limits)


def message(
    *,
    role: Any,
    content: Any,
    tokens: Any = None,
    latency_ms: Any = None,
    metadata: Any = None,
    tool_calls: Any = None,
    tool_call_id: Any = None,
    name: Any = None,
    pinned: Any = False,
    idempotency_key: Any = None,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """The parameters of ``append_message`` for one message, all checked.

    ``content`` may be ``None`` only for an assistant message that calls tools;
    a ``tool`` message must say which call it answers (``tool_call_id``).
    """
    checked_role = role_name(role)
    checked_calls = tool_calls_json(tool_calls, limits)
    if content is None and not (checked_role == "assistant" and checked_calls):
        raise InvalidInput("content may be None only for an assistant message with tool_calls")
    if checked_role == "tool" and tool_call_id is None:
        raise InvalidInput("a tool message needs the tool_call_id of the call it answers")
    return {
        "role": checked_role,
        "content": optional_text("content", content, limits),
        "tool_calls": checked_calls,
        "tool_call_id": optional_text("tool_call_id", tool_call_id, limits),
        "name": optional_text("name", name, limits),
        "tokens": optional_count("tokens", tokens),
        "latency_ms": optional_count("latency_ms", latency_ms),
        "pinned": flag("pinned", pinned),
        "metadata": metadata_json("metadata", metadata, limits),
        "idempotency_key": optional_nonempty_text("idempotency_key", idempotency_key),
    }


def _json_text(field: str, value: Any, limits: Limits) -> str:
    _check_json_strings(field, value, limits)
    try:
        encoded = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"{field} is not JSON-serialisable: {error}") from None
    if len(encoded.encode("utf-8")) > limits.max_json_bytes:
        raise InvalidInput(
            f"{field} is over {limits.max_json_bytes:,} bytes as JSON (Limits.max_json_bytes)"
        )
    return encoded


def _check_json_strings(field: str, value: Any, limits: Limits, depth: int = 0) -> None:
    if depth > limits.max_json_depth:
        raise InvalidInput(
            f"{field} is nested more than {limits.max_json_depth} levels deep (Limits.max_json_depth)"
        )
    if isinstance(value, str):
        text(field, value, limits)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                text(field, key, limits)
            _check_json_strings(field, item, limits, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_json_strings(field, item, limits, depth + 1)


def _show(value: Any) -> str:
    shown = repr(value)
    return f"{type(value).__name__} {shown[:60]}{'...' if len(shown) > 60 else ''}"
