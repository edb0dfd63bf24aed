"""Checks on every argument of the public API, run before anything is written.

Both databases get the same rules, so a value one accepts the other accepts
too, and what goes in comes out exactly:

- **Text.** PostgreSQL cannot store NUL characters in text or JSON, so neither
  does convstore; text must be encodable as UTF-8 (no lone surrogates).
- **JSON** (metadata, tool calls) is standard JSON: objects with string keys,
  arrays (lists; tuples are stored as arrays and come back as lists), strings,
  ``int``, finite ``float``, ``True``, ``False``, ``None``. It is serialised by
  :func:`json_text`, so that PostgreSQL's ``jsonb`` gives every value back with
  its type: an ``int`` of any size (up to Python's 4,300 digits) as its digits,
  a ``float`` in positional notation with a decimal point (``1e16`` is sent as
  ``10000000000000000.0``, ``1e-300`` as ``0.000...1``), digits that parse back
  to the identical float. ``jsonb`` keeps a number's decimal scale, so such a
  float comes back as a ``float``, where ``1e16`` written plainly would come
  back as an ``int``. ``-0.0`` is stored as ``0.0`` on both databases:
  ``jsonb`` numbers have no negative zero, and refusing it would make ordinary
  arithmetic results (``round(-0.001, 2)``) fail a write; ``-0.0 == 0.0``, so
  the value read back still equals the value written.
- **Timestamps** supplied by callers (imports, export's ``since``, cutoffs) are
  read by :func:`timestamp` alone, never by the database's own parser
  (PostgreSQL would take ``'infinity'``, ``'epoch'`` or ``'yesterday'``).
  A value without a time zone is UTC, as :mod:`convstore.db.rows` reads stored
  ones.
- **Identifiers** that the schema indexes (``user_id``, ``idempotency_key``)
  are at most :attr:`Limits.max_identifier_bytes`; PostgreSQL's btree refuses
  index rows over 2,704 bytes, with an error that looks like a failed server.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import reprlib
import threading
import uuid
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from . import token_estimate
from .errors import ConfigurationError, InvalidInput
from .types import (
    IMPORTED_CONVERSATION_FIELDS,
    IMPORTED_MESSAGE_FIELDS,
    MESSAGE_FIELDS,
    NEW_MESSAGE_FIELDS,
    REQUIRED_IMPORTED_MESSAGE_FIELDS,
    REQUIRED_NEW_MESSAGE_FIELDS,
    ConversationWithMessages,
)

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
"""The roles of the OpenAI chat format; ``function`` is the legacy result of
an assistant's ``function_call`` (Chat Completions API reference)."""

MAX_INDEXABLE_IDENTIFIER_BYTES = 2000
"""The ceiling of :attr:`Limits.max_identifier_bytes`: PostgreSQL's btree holds
index rows of at most 2,704 bytes, and the identifier shares its row with a
UUID, a timestamp and the row headers."""


@dataclass(frozen=True)
class Limits:
    """The largest values a store accepts; larger ones raise InvalidInput.
    Set them with ``convstore.connect(..., limits=Limits(...))``.

    :raises ConfigurationError: if ``max_identifier_bytes`` is over
        :data:`MAX_INDEXABLE_IDENTIFIER_BYTES` or any limit is below 1.
    """

    max_text_bytes: int = 8 * 1024 * 1024
    """Content (text, or parts as JSON), titles, names and tool call ids, as UTF-8."""
    max_json_bytes: int = 1024 * 1024
    """Metadata, tool calls and payloads, serialised."""
    max_json_depth: int = 64
    """Nesting of metadata, tool calls and payloads."""
    max_identifier_bytes: int = 255
    """User ids and idempotency keys, as UTF-8. Both are indexed, and an index
    entry must fit PostgreSQL's btree (see :data:`MAX_INDEXABLE_IDENTIFIER_BYTES`).
    255 bytes holds any e-mail address (254), an OpenID Connect subject (255
    ASCII characters), a UUID or a request id, and keeps index entries small."""

    def __post_init__(self) -> None:
        for name in ("max_text_bytes", "max_json_bytes", "max_json_depth", "max_identifier_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(
                    f"Limits.{name} must be a whole number >= 1, got {show(value)}"
                )
        if self.max_identifier_bytes > MAX_INDEXABLE_IDENTIFIER_BYTES:
            raise ConfigurationError(
                f"Limits.max_identifier_bytes is at most {MAX_INDEXABLE_IDENTIFIER_BYTES} "
                "(PostgreSQL's btree cannot index larger user ids or idempotency keys); "
                f"got {self.max_identifier_bytes}"
            )


DEFAULT_LIMITS = Limits()
MAX_INTEGER = 2**31 - 1
"""The largest token count or latency the integer columns hold."""

EARLIEST = datetime(1, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)
"""The range of timestamps both databases store: Python's ``datetime`` starts
at year 1, SQLite's date functions end at year 9999 (SQLite stores
microseconds since sqlite_0009; this bound is kept from when it rounded to
milliseconds, where a later fraction became year 10000)."""

_ISO_8601 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?)?",
    re.ASCII,  # \d is 0-9 only
)


def seconds(field: str, value: Any) -> float:
    """A wait in seconds: a finite number above zero that a thread can wait
    (at most ``threading.TIMEOUT_MAX``).

    :raises ConfigurationError: otherwise.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 < value <= threading.TIMEOUT_MAX
    ):
        raise ConfigurationError(f"{field} must be a number of seconds > 0, not {show(value)}")
    return float(value)


CONVERSATION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "convstore:conversation-name")
"""The namespace of conversation names (``7fb704f3-9143-5b05-9637-4b9a7ecb6ab3``, fixed:
derived from a constant): the name ``n`` stands for the
conversation id ``uuid.uuid5(CONVERSATION_NAMESPACE, n)`` (RFC 9562, section
5.5: SHA-1 of the namespace and the name's UTF-8 bytes)."""


MAX_NAME_BYTES = 1024
"""The longest conversation name, as UTF-8. Names are not stored, so no
store's :class:`Limits` apply: a name is valid on every store or on none."""

_UUID_SPELLING = re.compile(
    r"(?i)(?:urn:uuid:)?(\{)?[0-9a-f]{8}(-?)[0-9a-f]{4}\2[0-9a-f]{4}\2[0-9a-f]{4}\2[0-9a-f]{12}(?(1)\})"
)
"""The spellings of a UUID convstore reads (RFC 9562's hex-and-dash form, or
its 32 hex digits alone; any case; in braces; after ``urn:uuid:``). Not
``uuid.UUID``'s own parser, which also reads what ``int(text, 16)`` does (a
``0x`` prefix, a sign, underscores, spaces, non-ASCII digits): such text is a name."""

_ALMOST_A_UUID = re.compile(r"(?i)(?:urn:uuid:)?\{?([0-9a-f-]+)\}?")
"""Text shaped like a UUID: its hex digits (and dashes) in group 1."""


def conversation_id(value: Any) -> str:
    """The canonical text form of a conversation id: a UUID, or the UUID a
    name stands for.

    A ``uuid.UUID``, or text spelling one (:data:`_UUID_SPELLING`:
    ``"6f1e7c52-..."``, upper case, braces, ``urn:uuid:``, 32 hex digits), is
    that UUID. Other
    text is a *name* -- a framework's thread or session id such as
    ``"user-42-conv-7"`` or ``"1"`` -- and stands for
    ``uuid.uuid5(CONVERSATION_NAMESPACE, name)``: the same conversation for
    everyone who uses that name, on every database. Names are global, not per
    user: put the user in the name when two users could pick the same one. The
    name itself is not stored.

    So that a mistyped UUID is an error, not another conversation, a name may
    not be a UUID with a digit too many or too few (text of hex digits, dashes
    and braces with 28 to 36 hex digits), nor start or end with whitespace.

    :raises InvalidInput: for anything else: not a string, empty, a NUL
        character, such a name, or a name over :data:`MAX_NAME_BYTES`.
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and _UUID_SPELLING.fullmatch(value):
        return str(uuid.UUID(value))
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"conversation_id must be a UUID or a non-empty name, got {show(value)}")
    shaped = _ALMOST_A_UUID.fullmatch(value)
    if shaped and 28 <= len(shaped.group(1).replace("-", "")) <= 36:
        raise InvalidInput(f"conversation_id {show(value)} is not a valid UUID")
    if value != value.strip():
        raise InvalidInput(
            f"conversation_id {show(value)}: a name may not start or end with whitespace"
        )
    size = len(text("conversation_id", value).encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise InvalidInput(
            f"conversation_id is a name of {size:,} bytes; the limit is {MAX_NAME_BYTES:,}"
        )
    return str(uuid.uuid5(CONVERSATION_NAMESPACE, value))


def user_id(value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """A user id: a non-empty string of at most ``limits.max_identifier_bytes``.

    :raises InvalidInput: otherwise.
    """
    return identifier("user_id", value, limits)


def identifier(field: str, value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """A non-empty string of at most ``limits.max_identifier_bytes`` as UTF-8,
    for a value the schema indexes.

    :raises InvalidInput: for anything else, naming ``field`` and the limit.
    """
    checked = nonempty_text(field, value, limits)
    size = len(checked.encode("utf-8"))
    if size > limits.max_identifier_bytes:
        raise InvalidInput(
            f"{field} is {size:,} bytes; the limit is {limits.max_identifier_bytes:,} "
            "(Limits.max_identifier_bytes)"
        )
    return checked


def optional_identifier(field: str, value: Any, limits: Limits = DEFAULT_LIMITS) -> str | None:
    return None if value is None else identifier(field, value, limits)


def nonempty_text(field: str, value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{field} must be a non-empty string, got {show(value)}")
    return text(field, value, limits)


def text(field: str, value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """A string PostgreSQL and SQLite both store exactly, within the size limit.

    :raises InvalidInput: for a non-string, a NUL character, a lone surrogate
        or more than ``limits.max_text_bytes`` of UTF-8.
    """
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string, got {show(value)}")
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
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}; got {show(value)}")
    return value


def count(field: str, value: Any, *, minimum: int = 0) -> int:
    """A whole number in [minimum, MAX_INTEGER]; ``bool`` is not a number here."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number, got {show(value)}")
    if not minimum <= value <= MAX_INTEGER:
        raise InvalidInput(
            f"{field} must be between {minimum} and {MAX_INTEGER}, got {show(value)}"
        )
    return value


def seqs_json(field: str, value: Any) -> str:
    """A list of message seqs (whole numbers of at least 1) as a JSON array,
    sorted, each once.

    :raises InvalidInput: for a value that is not a list or tuple of them.
    """
    if not isinstance(value, (list, tuple)):
        raise InvalidInput(f"{field} must be a list of seqs, got {show(value)}")
    return json.dumps(
        sorted({count(f"{field}[{i}]", seq, minimum=1) for i, seq in enumerate(value)})
    )


def optional_count(field: str, value: Any) -> int | None:
    return None if value is None else count(field, value)


def flag(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be True or False, got {show(value)}")
    return value


def timestamp(field: str, value: Any) -> str:
    """A point in time as canonical text both databases read the same way,
    and the form SQLite stores (so its text comparisons are right): ISO 8601
    in UTC with microseconds, ``2026-11-25T13:38:38.123000Z``.

    ``value`` is a ``datetime``, a ``date`` (its midnight), or ISO 8601 text:
    ``YYYY-MM-DD``, optionally followed by ``T`` (or a space) and
    ``HH:MM[:SS[.fraction]]`` and a zone (``Z``, ``+HH``, ``+HH:MM``, ``+HHMM``).
    A value without a zone is UTC. Digits past the microsecond are dropped
    (both databases keep microseconds). Nothing else is read: not ``'infinity'``,
    ``'epoch'``, ``'now'``, week dates or numbers.

    :raises InvalidInput: naming ``field``, for anything else or a time
        outside :data:`EARLIEST` .. :data:`LATEST` in UTC.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        moment = _parse_iso_8601(field, value)
    else:
        raise InvalidInput(f"{field} must be an ISO 8601 timestamp, got {show(value)}")
    utc = _in_utc(moment)
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise InvalidInput(
            f"{field} must be between {EARLIEST.isoformat()} and {LATEST.isoformat()} "
            f"(what both databases store), got {show(value)}"
        )
    return utc.isoformat(timespec="microseconds").removesuffix("+00:00") + "Z"


def optional_timestamp(field: str, value: Any) -> str | None:
    return None if value is None else timestamp(field, value)


def report_parameter(name: str, value: Any, field: str | None = None) -> Any:
    """A parameter of a report in ``sql/<dialect>/reports/``: required, then
    read as :func:`query_parameter` reads any (``since``, ``until`` and
    ``*_at`` by :func:`timestamp`: a value without a zone is UTC, no
    ``'yesterday'``, which PostgreSQL reads and SQLite does not). ``field``
    names the value in errors (default: ``name``).

    :raises InvalidInput: naming ``field``.
    """
    field = name if field is None else field
    if value is None:
        raise InvalidInput(f"{field} needs a value")
    return query_parameter(name, value, field)


def query_parameter(name: str, value: Any, field: str | None = None) -> Any:
    """A named query's parameter as convstore binds it, whoever the caller, so
    that both databases get the same value or refuse it the same way: a point
    in time (:func:`is_timestamp_parameter`) as :func:`timestamp` gives it (UTC
    text in SQLite's stored form, ``2026-11-25T13:38:38.123000Z``), a
    ``limit`` a whole number of at least 1, a ``conversation_id`` as
    :func:`conversation_id` reads it (a UUID's canonical text, or the UUID of a
    name); ``None`` (SQL's NULL) and anything else as given.

    :raises InvalidInput: naming ``field`` (default: ``name``).
    """
    field = name if field is None else field
    if value is None or not reads_parameter(name):
        return value
    if is_timestamp_parameter(name):
        return timestamp(field, value)
    if name == "limit":
        return count(field, value, minimum=1)
    return conversation_id(value)


def reads_parameter(name: str) -> bool:
    """Whether :func:`query_parameter` reads a parameter named ``name``
    (rather than pass its value as given)."""
    return is_timestamp_parameter(name) or name in ("limit", "conversation_id")


def is_timestamp_parameter(name: str) -> bool:
    """Whether a query parameter named ``name`` is a point in time: ``since``,
    ``until``, ``cutoff`` or ``*_at``. Every caller binds it as
    :func:`timestamp` gives it (:func:`convstore.sqlfiles.catalog.bind`)."""
    return name in ("since", "until", "cutoff") or name.endswith("_at")


def age_cutoff(older_than: Any, now: datetime | None = None) -> str:
    """The timestamp (as :func:`timestamp` gives it) ``older_than`` before
    ``now`` (default: the current time): the cutoff of a retention purge. An
    age reaching back before :data:`EARLIEST` gives :data:`EARLIEST`, before
    which nothing is stored.

    :raises InvalidInput: if ``older_than`` is not a ``timedelta`` of zero or more.
    """
    if not isinstance(older_than, timedelta) or older_than < timedelta(0):
        raise InvalidInput(f"older_than must be a positive timedelta, got {show(older_than)}")
    now = datetime.now(timezone.utc) if now is None else now
    try:
        cutoff = now - older_than
    except OverflowError:
        cutoff = EARLIEST
    return timestamp("cutoff", max(cutoff, EARLIEST))


def _parse_iso_8601(field: str, value: str) -> datetime:
    found = _ISO_8601.fullmatch(value)
    if found is None:
        raise InvalidInput(
            f"{field} must be an ISO 8601 timestamp such as 2026-11-25T13:38:38Z, got {show(value)}"
        )
    year, month, day = (int(part) for part in found["date"].split("-"))
    fraction = (found["fraction"] or "0")[:6].ljust(6, "0")
    try:
        moment = datetime(
            year,
            month,
            day,
            int(found["hour"] or 0),
            int(found["minute"] or 0),
            int(found["second"] or 0),
            int(fraction),
            tzinfo=_zone(found["zone"]),
        )
    except ValueError as error:
        raise InvalidInput(f"{field} is not a valid time ({error}): {show(value)}") from None
    return moment


def _zone(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text in ("Z", "z"):
        return timezone.utc
    digits = text[1:].replace(":", "")
    hours, minutes, seconds = int(digits[0:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    offset = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if offset >= timedelta(hours=24) or minutes > 59 or seconds > 59:
        raise ValueError(f"time zone offset {text} out of range")
    return timezone(-offset if text[0] == "-" else offset)


def _in_utc(moment: datetime) -> datetime | None:
    """``moment`` in UTC (a zone-less one is UTC already); ``None`` when the
    conversion leaves ``datetime``'s range (year 1 to 9999)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return None


def metadata_json(field: str, value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """A JSON object as text (``None`` means ``{}``), serialised by :func:`json_text`.

    :raises InvalidInput: if ``value`` is not a mapping, or as :func:`json_text`.
    """
    if value is None:
        return "{}"
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field} must be a JSON object (a dict), got {show(value)}")
    return json_text(field, value, limits)


def tool_calls_json(value: Any, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """The OpenAI ``tool_calls`` list as JSON text, or ``None`` for ``None``
    or an empty list (no tool calls: the API refuses an empty ``tool_calls``
    array on an assistant message, and content may then not be ``None``).

    Each call must be one the Chat Completions API takes back in a history
    (see :func:`tool_call_problem`); other keys are stored as given.

    :raises InvalidInput: if ``value`` is not a list of objects, naming the
        index of the first call that is not acceptable, or as :func:`json_text`.
    """
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, Mapping) for c in value):
        raise InvalidInput(f"tool_calls must be a list of objects, got {show(value)}")
    if not value:
        return None
    for index, call in enumerate(value):
        problem = tool_call_problem(call)
        if problem is not None:
            raise InvalidInput(f"tool_calls[{index}] {problem}")
    return json_text("tool_calls", value, limits)


def tool_call_problem(call: Any) -> str | None:
    """Why ``call`` is not a tool call the Chat Completions API accepts in an
    assistant message, or ``None`` when it is: it must be an object with a
    non-empty string ``id`` (the ``tool_call_id`` its result answers),
    ``"type": "function"``, and a ``function`` object whose ``name`` is a
    string and whose ``arguments``, if present, is a string (the JSON text of
    the arguments; a call without one is sent with ``"{}"``, no arguments)."""
    if not isinstance(call, Mapping):
        return f"must be an object, got {show(call)}"
    call_id = call.get("id")
    if not isinstance(call_id, str) or not call_id:
        return f"needs a non-empty string id, got {show(call_id)}"
    if call.get("type") != "function":
        return f'needs "type": "function", got {show(call.get("type"))}'
    function = call.get("function")
    if not isinstance(function, Mapping):
        return f"needs a function object with its name and arguments, got {show(function)}"
    if not isinstance(function.get("name"), str):
        return f"needs a string function.name, got {show(function.get('name'))}"
    if not isinstance(function.get("arguments", ""), str):
        return (
            "needs function.arguments as a string (the arguments' JSON text), "
            f"got {show(function.get('arguments'))}"
        )
    return None


CHAT_MESSAGE = "message"
"""The ``kind`` of a chat message (the default); every other kind is another item."""

KIND_PATTERN = re.compile(r"[a-z0-9_.:-]{1,64}")
"""The names a ``kind`` may have (the migrations' ``messages_kind_format`` check)."""


def kind_name(value: Any) -> str:
    """A message's ``kind``, as :data:`KIND_PATTERN` allows.

    :raises InvalidInput: otherwise.
    """
    if not isinstance(value, str) or not KIND_PATTERN.fullmatch(value):
        raise InvalidInput(
            "kind must be 1 to 64 lower-case letters, digits or _ . : - "
            f'("message" for a chat message), got {show(value)}'
        )
    return value


def message(
    *,
    role: Any,
    content: Any = None,
    tokens: Any = None,
    latency_ms: Any = None,
    metadata: Any = None,
    tool_calls: Any = None,
    tool_call_id: Any = None,
    name: Any = None,
    pinned: Any = False,
    idempotency_key: Any = None,
    kind: Any = CHAT_MESSAGE,
    payload: Any = None,
    function_call: Any = None,
    refusal: Any = None,
    weight: Any = None,
    extra: Any = None,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """The parameters of ``append_message`` for one message, all checked, with
    its ``fingerprint`` (:func:`message_fingerprint`).

    The rules of the OpenAI Chat Completions API reference (its ``messages``
    parameter), kept lenient where a history in the wild differs:

    - ``content`` is text, a list of parts (:func:`content_part_problem`;
      stored as ``content_parts``, with their text as ``content``), or
      ``None``. A chat message (``kind="message"``) may have no content only
      if it is a ``function`` message, or an assistant message that says
      something else: ``tool_calls`` (an empty list calls none, and is stored
      as ``None``), ``function_call``, ``refusal`` or an ``extra`` field.
    - A ``tool`` message must say which call it answers (``tool_call_id``); a
      ``function`` message names its function (``name``).
    - Each tool call is checked by :func:`tool_call_problem`, a
      ``function_call`` the same way; ``weight`` is 0 or 1; ``extra`` is a
      JSON object of fields that are not a :class:`~convstore.types.NewMessage`'s.
    - ``tokens=None`` (not given) stores :func:`convstore.token_estimate.message_tokens`
      of the message, with ``tokens_estimated`` true.

    An item of another kind may have no content and no ``tool_call_id``.

    :raises InvalidInput: naming the first field that is not acceptable.
    """
    checked_role = role_name(role)
    checked_kind = kind_name(kind)
    checked_calls = tool_calls_json(tool_calls, limits)
    checked_function_call = function_call_json(function_call, limits)
    checked_refusal = optional_text("refusal", refusal, limits)
    checked_extra = extra_json(extra, limits)
    if checked_kind == CHAT_MESSAGE:
        says_more = checked_calls or checked_function_call or checked_refusal is not None
        if content is None and not (
            checked_role == "function"
            or (checked_role == "assistant" and (says_more or checked_extra != "{}"))
        ):
            raise InvalidInput(
                "content may be None only for a function message, an assistant message "
                "with tool_calls, function_call, refusal or an extra field, or an item "
                'whose kind is not "message"'
            )
        if checked_role == "tool" and tool_call_id is None:
            raise InvalidInput("a tool message needs the tool_call_id of the call it answers")
        if checked_role == "function" and name is None:
            raise InvalidInput("a function message needs the name of the function it answers")
    text_content, parts = content_and_parts(content, limits)
    checked: dict[str, Any] = {
        "role": checked_role,
        "content": text_content,
        "content_parts": parts,
        "tool_calls": checked_calls,
        "tool_call_id": optional_text("tool_call_id", tool_call_id, limits),
        "name": optional_text("name", name, limits),
        "tokens": optional_count("tokens", tokens),
        "latency_ms": optional_count("latency_ms", latency_ms),
        "pinned": flag("pinned", pinned),
        "metadata": metadata_json("metadata", metadata, limits),
        "idempotency_key": optional_identifier("idempotency_key", idempotency_key, limits),
        "kind": checked_kind,
        "payload": payload_json(payload, limits),
        "function_call": checked_function_call,
        "refusal": checked_refusal,
        "weight": optional_weight(weight),
        "extra": checked_extra,
        "tokens_estimated": tokens is None,
    }
    if tokens is None:
        checked["tokens"] = min(
            MAX_INTEGER,
            token_estimate.message_tokens(
                text=text_content,
                unread_parts=[part for part in content if part["type"] not in PART_TEXT]
                if parts is not None
                else [],
                name=checked["name"],
                functions=[
                    *(call["function"] for call in tool_calls or ()),
                    *([function_call] if function_call is not None else []),
                ],
                refusal=checked_refusal,
            ),
        )
    checked["fingerprint"] = _fingerprint(checked)
    return checked


PART_TEXT = {"text": "text", "refusal": "refusal"}
"""The part types whose text is the message's text (searched, estimated), by
the key that holds it."""

PART_OBJECT = {"image_url": "url", "input_audio": "data", "file": None}
"""The part types that hold an object of the same name, by the string member
that object must have (a ``file`` holds ``file_data`` or ``file_id``)."""


def parts_text(parts: Sequence[Mapping[str, Any]]) -> str | None:
    """The text of checked content parts: their text and refusal parts' text
    (:data:`PART_TEXT`), one after another with a line break between;
    ``None`` if they have none."""
    texts = [part[PART_TEXT[part["type"]]] for part in parts if part["type"] in PART_TEXT]
    return "\n".join(texts) if texts else None


def content_and_parts(
    content: Any, limits: Limits = DEFAULT_LIMITS
) -> tuple[str | None, str | None]:
    """A message's content as stored: ``(text, None)`` for text or ``None``;
    for a list of parts, the text of its text and refusal parts (one after
    another, a line break between; ``None`` if it has none) and the parts as
    JSON text (:func:`json_text`, within ``limits.max_text_bytes``, as text
    content is).

    :raises InvalidInput: for another value, or a part :func:`content_part_problem` refuses.
    """
    if content is None or isinstance(content, str):
        return optional_text("content", content, limits), None
    if not isinstance(content, (list, tuple)):
        raise InvalidInput(f"content must be text, a list of parts or None, got {show(content)}")
    for index, part in enumerate(content):
        problem = content_part_problem(part)
        if problem is not None:
            raise InvalidInput(f"content[{index}] {problem}")
    return optional_text("content", parts_text(content), limits), parts_json(content, limits)


def parts_json(parts: Sequence[Any], limits: Limits = DEFAULT_LIMITS) -> str:
    """Content parts as JSON text (:func:`json_text`), within
    ``limits.max_text_bytes``, as text content is (they are content, not metadata).

    :raises InvalidInput: as :func:`json_text`.
    """
    return json_text("content", parts, replace(limits, max_json_bytes=limits.max_text_bytes))


def content_part_problem(part: Any) -> str | None:
    """Why ``part`` is not a part of a message's content, or ``None`` when it
    is: an object with a non-empty string ``type``; a part of a type the
    OpenAI Chat Completions API reference defines has that type's member:
    ``text`` and ``refusal`` a string of the same name, ``image_url`` an
    object with a string ``url``, ``input_audio`` an object with string
    ``data``, ``file`` an object with a string ``file_data`` or ``file_id``.
    Their other members, and parts of other types (a provider's, a newer
    API's), are kept as given, but a part of those three types may not hold
    an :data:`ATTACHMENT_REFERENCE` member: convstore's own reference to
    bytes it stored (:mod:`convstore.content.attachments`), which a caller
    could otherwise forge."""
    if not isinstance(part, Mapping):
        return f"must be an object with a type, got {show(part)}"
    kind = part.get("type")
    if not isinstance(kind, str) or not kind:
        return f"needs a non-empty string type, got {show(kind)}"
    if kind in PART_TEXT and not isinstance(part.get(PART_TEXT[kind]), str):
        return f"(a {kind} part) needs {PART_TEXT[kind]} as a string, got {show(part.get(PART_TEXT[kind]))}"
    if kind in PART_OBJECT:
        held = part.get(kind)
        members = (PART_OBJECT[kind],) if PART_OBJECT[kind] else ("file_data", "file_id")
        if not isinstance(held, Mapping) or not any(isinstance(held.get(m), str) for m in members):
            wanted = " or ".join(f"{kind}.{member}" for member in members)
            return f"(a {kind} part) needs {wanted} as a string, got {show(held)}"
        if ATTACHMENT_REFERENCE in part:
            return (
                f'(a {kind} part) may not hold an "{ATTACHMENT_REFERENCE}" member: it is '
                "convstore's reference to stored bytes, in parts read with "
                'attachments="reference"; give the data itself (read with '
                'attachments="inline")'
            )
    return None


ATTACHMENT_REFERENCE = "attachment"
"""The member of a stored ``image_url``, ``input_audio`` or ``file`` part that
names the attachment holding its data (:mod:`convstore.content.attachments`)."""

ATTACHMENT_READS = ("inline", "reference")
"""How reads give back parts whose data is an attachment
(:data:`convstore.types.AttachmentReads`)."""


def attachment_reads(value: Any) -> str:
    """``"inline"`` or ``"reference"``, as a read's ``attachments`` argument.

    :raises InvalidInput: otherwise.
    """
    if not isinstance(value, str) or value not in ATTACHMENT_READS:
        raise InvalidInput(f'attachments must be "inline" or "reference", got {show(value)}')
    return value


_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


def sha256_hex(field: str, value: Any) -> str:
    """A SHA-256 as 64 hex digits, in lower case (as attachments are keyed).

    :raises InvalidInput: for anything else, naming ``field``.
    """
    if not isinstance(value, str) or not _SHA256_HEX.fullmatch(value):
        raise InvalidInput(f"{field} must be a SHA-256 as 64 hex digits, got {show(value)}")
    return value.lower()


def function_call_json(value: Any, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """An assistant message's legacy ``function_call`` as JSON text, or
    ``None``: an object with a string ``name`` and, if present, string
    ``arguments`` (the JSON text of the arguments); other keys as given.

    :raises InvalidInput: otherwise, or as :func:`json_text`.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
        raise InvalidInput(f"function_call must be an object with a string name, got {show(value)}")
    if not isinstance(value.get("arguments", ""), str):
        raise InvalidInput(
            "function_call.arguments must be a string (the arguments' JSON text), "
            f"got {show(value.get('arguments'))}"
        )
    return json_text("function_call", value, limits)


def optional_weight(value: Any) -> int | None:
    """A fine-tuning weight: 0, 1 or ``None`` (OpenAI's fine-tuning guide).

    :raises InvalidInput: otherwise.
    """
    if value is None or (value in (0, 1) and type(value) is int):
        return value
    raise InvalidInput(f"weight must be 0 or 1, got {show(value)}")


def extra_json(value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """A message's other fields (``None`` means none) as JSON object text.

    :raises InvalidInput: for a value that is not a mapping, a key that is a
        field of a :class:`~convstore.types.NewMessage` or a stored message
        (it has a place of its own), or as :func:`json_text`.
    """
    if value is None:
        return "{}"
    if not isinstance(value, Mapping):
        raise InvalidInput(f"extra must be a JSON object (a dict), got {show(value)}")
    taken = sorted(str(key) for key in value if key in NEW_MESSAGE_FIELDS or key in MESSAGE_FIELDS)
    if taken:
        raise InvalidInput(f"extra may not hold {_listed(taken)}: a message field of its own")
    return json_text("extra", value, limits)


CONVERSATION_FIELD_NAMES = frozenset(
    {*ConversationWithMessages.__annotations__, *IMPORTED_CONVERSATION_FIELDS}
)
"""The fields a conversation has a place for, which its ``extra`` may not hold."""

EXTRA_OBJECT_LISTS = {"tools": "type", "functions": "name"}
"""The conversation-level fields of an OpenAI chat fine-tuning line that are
arrays of objects, each with the non-empty string member named here: the
tools offered (``{"type": "function", "function": {...}}``) and the legacy
functions (``{"name": ..., "parameters": ...}``)."""


def conversation_extra_json(field: str, value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """A conversation's other fields (``None`` means none) as JSON object
    text: a JSON object within ``limits`` whose keys are not conversation
    fields (:data:`CONVERSATION_FIELD_NAMES`), and whose fields of an OpenAI
    chat fine-tuning line, when present, are as the fine-tuning guide has
    them: ``tools`` and ``functions`` arrays of objects
    (:data:`EXTRA_OBJECT_LISTS`), ``parallel_tool_calls`` a boolean.

    :raises InvalidInput: naming ``field`` (and the member), or as :func:`json_text`.
    """
    if value is None:
        return "{}"
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field} must be a JSON object (a dict), got {show(value)}")
    taken = sorted(str(key) for key in value if key in CONVERSATION_FIELD_NAMES)
    if taken:
        raise InvalidInput(
            f"{field} may not hold {_listed(taken)}: a conversation field of its own"
        )
    for key, member in EXTRA_OBJECT_LISTS.items():
        problem = _object_list_problem(value[key], member) if key in value else None
        if problem is not None:
            raise InvalidInput(f"{field}.{key}{problem}")
    parallel = value.get("parallel_tool_calls", False)
    if not isinstance(parallel, bool):
        raise InvalidInput(f"{field}.parallel_tool_calls must be a boolean, got {show(parallel)}")
    return json_text(field, value, limits)


def _object_list_problem(value: Any, member: str) -> str | None:
    """Why ``value`` is not an array of objects each with a non-empty string
    ``member`` (said after the field's name), or ``None`` when it is."""
    if not isinstance(value, (list, tuple)):
        return f" must be an array of objects, got {show(value)}"
    for index, each in enumerate(value):
        if not isinstance(each, Mapping):
            return f"[{index}] must be an object, got {show(each)}"
        named = each.get(member)
        if not isinstance(named, str) or not named:
            return f"[{index}] needs a non-empty string {member}, got {show(named)}"
    return None


def payload_json(value: Any, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """An item's payload (a JSON object or array) as text, or ``None``.

    :raises InvalidInput: for another value, or as :func:`json_text`.
    """
    if value is None:
        return None
    if not isinstance(value, (Mapping, list, tuple)):
        raise InvalidInput(f"payload must be a JSON object or array, got {show(value)}")
    return json_text("payload", value, limits)


STORED_ONLY_FIELDS = frozenset({*MESSAGE_FIELDS, "suffix_tokens"} - {*NEW_MESSAGE_FIELDS})
"""What a stored message (or one of a context) has and a new one does not."""

FINGERPRINTED = (
    "kind",
    "role",
    "content",
    "tool_calls",
    "tool_call_id",
    "name",
    "payload",
    "metadata",
)
"""What a message's fingerprint covers: what it says (``content`` as given:
text or parts), and :data:`FINGERPRINTED_IF_GIVEN`. Not its token count,
latency, pin or idempotency key, which can change (``set_message_tokens``)
without the message changing."""

FINGERPRINTED_IF_GIVEN = ("function_call", "refusal", "weight", "extra")
"""The fields of the OpenAI format a fingerprint covered only once convstore
kept them (migrations ``pg_0021`` / ``sqlite_0015``): those given (not
``None``, ``extra`` not ``{}``) follow :data:`FINGERPRINTED` as one JSON
object, so a message without any keeps the fingerprint it had before."""


def message_fingerprint(value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """The fingerprint convstore stores with a message: SHA-256, as 64 hex
    digits, of the JSON array of its :data:`FINGERPRINTED` fields as checked
    (metadata ``None`` is ``{}``, an empty ``tool_calls`` list is ``None``),
    with JSON objects' keys sorted, no spaces and non-ASCII characters as
    they are. Numbers are taken as given: ``1`` and ``1.0`` differ.

    ``value`` is a :class:`~convstore.types.NewMessage` -- a mirror computes
    the fingerprint of the message it would write and compares it with
    ``Store.get_message_fingerprints`` to find what changed -- or a stored
    :class:`~convstore.types.Message`, whose stored-only fields (``seq``,
    ``created_at`` ...) are left aside. ``limits`` only bound what is
    accepted (pass ``store.limits`` for a message that store accepted).

    :raises InvalidInput: as :func:`new_message`.
    :raises ConfigurationError: if ``limits`` is not a :class:`Limits`.
    """
    if not isinstance(limits, Limits):
        raise ConfigurationError(f"limits must be a convstore.Limits, not {show(limits)}")
    if isinstance(value, Mapping):
        value = {key: value[key] for key in value if key not in STORED_ONLY_FIELDS}
    fingerprint: str = new_message(value, limits)["fingerprint"]
    return fingerprint


def _fingerprint(checked: Mapping[str, Any]) -> str:
    said = [_said(checked, field) for field in FINGERPRINTED]
    given = {
        field: _said(checked, field)
        for field in FINGERPRINTED_IF_GIVEN
        if checked[field] is not None and checked[field] != "{}"
    }
    if given:
        said.append(given)
    canonical = json.dumps(said, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def estimated_tokens(value: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> int:
    """The token estimate of a stored :class:`~convstore.types.Message` (or a
    :class:`~convstore.types.NewMessage`), whatever its count: what
    :func:`message` stores without one."""
    given = {key: value[key] for key in value if key not in STORED_ONLY_FIELDS}
    estimate: int = new_message({**given, "tokens": None}, limits)["tokens"]
    return estimate


def _said(checked: Mapping[str, Any], field: str) -> Any:
    """A checked field as the message gave it: JSON text read back, the
    content as its parts when it had parts."""
    if field == "content" and checked["content_parts"] is not None:
        return json.loads(checked["content_parts"])
    if field in ("tool_calls", "payload", "metadata", "function_call", "extra"):
        return None if checked[field] is None else json.loads(checked[field])
    return checked[field]


def new_message(value: Any, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """A :class:`~convstore.types.NewMessage` (a mapping, as ``add_messages``
    takes it) checked by :func:`message`: the parameters of ``append_message``.

    :raises InvalidInput: for a value that is not a mapping, a field that is
        not one of :data:`~convstore.types.NEW_MESSAGE_FIELDS` (a field
        convstore has no place for goes in ``extra``), a missing ``role``, or
        as :func:`message`.
    """
    given = fields("message", value, NEW_MESSAGE_FIELDS, REQUIRED_NEW_MESSAGE_FIELDS)
    return message(**given, limits=limits)


def imported_message(value: Any, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """An :class:`~convstore.types.ImportedMessage` checked by :func:`message`,
    with its ``seq`` (at least 1), ``created_at`` (by :func:`timestamp`) and
    ``tokens_estimated`` (kept for a count given with it): the parameters of
    ``import_message`` but the conversation's.

    :raises InvalidInput: as :func:`new_message`, or for a bad ``seq``,
        ``created_at`` or ``tokens_estimated``, naming the field.
    """
    given = fields("message", value, IMPORTED_MESSAGE_FIELDS, REQUIRED_IMPORTED_MESSAGE_FIELDS)
    seq = given.pop("seq")
    created_at = given.pop("created_at")
    estimated = flag("tokens_estimated", given.pop("tokens_estimated", False))
    checked = message(**given, limits=limits)
    return {
        **checked,
        "seq": count("seq", seq, minimum=1),
        "created_at": timestamp("created_at", created_at),
        "tokens_estimated": checked["tokens_estimated"]
        or (estimated and given.get("tokens") is not None),
    }


def fields(
    kind: str, value: Any, allowed: Sequence[str], required: Set[str] = frozenset()
) -> dict[str, Any]:
    """A copy of the mapping ``value`` (a ``kind``: "message", "conversation"),
    whose keys are all ``allowed`` and include every ``required`` one. The
    lists come from the shapes of :mod:`convstore.types`.

    :raises InvalidInput: otherwise, naming the unknown or missing fields.
    """
    if not isinstance(value, Mapping):
        raise InvalidInput(f"each {kind} must be a mapping, got {type(value).__name__}")
    unknown = set(value) - set(allowed)
    if unknown:
        hint = " (put a field convstore has no place for in extra)" if "extra" in allowed else ""
        raise InvalidInput(f"unknown {kind} fields: {', '.join(sorted(map(str, unknown)))}{hint}")
    missing = [name for name in allowed if name in required and name not in value]
    if missing:
        raise InvalidInput(f"each {kind} needs the field {_listed(missing)}")
    return dict(value)


def _listed(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + f" and {names[-1]}"


def json_text(field: str, value: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """``value`` as compact JSON text that both databases give back exactly
    (see the module docstring): every ``float`` in positional notation with a
    decimal point, ``-0.0`` as ``0.0``.

    :raises InvalidInput: naming ``field``, for a value that is not JSON (a
        non-string key, NaN, Infinity, a set, bytes, ...), text either database
        cannot store, an integer over 4,300 digits, nesting deeper than
        ``limits.max_json_depth`` or more than ``limits.max_json_bytes``.
    """
    pieces: list[str] = []
    try:
        _encode_json(field, value, limits, pieces, depth=0)
    except RecursionError:  # a max_json_depth set beyond Python's recursion limit
        raise InvalidInput(f"{field} is nested too deeply to serialise") from None
    encoded = "".join(pieces)
    if len(encoded.encode("utf-8")) > limits.max_json_bytes:
        raise InvalidInput(
            f"{field} is over {limits.max_json_bytes:,} bytes as JSON (Limits.max_json_bytes)"
        )
    return encoded


def _encode_json(field: str, value: Any, limits: Limits, pieces: list[str], depth: int) -> None:
    if depth > limits.max_json_depth:
        raise InvalidInput(
            f"{field} is nested more than {limits.max_json_depth} levels deep (Limits.max_json_depth)"
        )
    if value is None:
        pieces.append("null")
    elif value is True or value is False:
        pieces.append("true" if value else "false")
    elif isinstance(value, str):
        pieces.append(_json_string(field, value, limits))
    elif isinstance(value, int):
        pieces.append(_json_integer(field, value))
    elif isinstance(value, float):
        pieces.append(_json_float(field, value))
    elif isinstance(value, Mapping):
        pieces.append("{")
        for position, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise InvalidInput(
                    f"{field} has a key that is not a string ({show(key)}); JSON keys are strings"
                )
            pieces.append("," if position else "")
            pieces.append(_json_string(field, key, limits))
            pieces.append(":")
            _encode_json(field, item, limits, pieces, depth + 1)
        pieces.append("}")
    elif isinstance(value, (list, tuple)):
        pieces.append("[")
        for position, item in enumerate(value):
            pieces.append("," if position else "")
            _encode_json(field, item, limits, pieces, depth + 1)
        pieces.append("]")
    else:
        raise InvalidInput(f"{field} holds {show(value)}, which is not a JSON value")


def _json_string(field: str, value: str, limits: Limits) -> str:
    return json.dumps(text(field, value, limits), ensure_ascii=False)


def _json_integer(field: str, value: int) -> str:
    try:
        return int.__repr__(value)
    except ValueError:  # Python's limit on int <-> str conversion (4,300 digits)
        raise InvalidInput(
            f"{field} holds an integer of more than 4,300 digits, which Python cannot read back"
        ) from None


def _json_float(field: str, value: float) -> str:
    if not math.isfinite(value):
        raise InvalidInput(f"{field} holds {value!r}; JSON has no NaN or Infinity")
    if value == 0:
        return "0.0"  # also for -0.0, which jsonb cannot hold
    # repr gives the shortest digits that read back as this float; Decimal
    # writes exactly those digits without an exponent.
    digits = format(Decimal(float.__repr__(value)), "f")
    return digits if "." in digits else digits + ".0"


_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = _SHOWN.maxlong = 60
_SHOWN.maxlevel = 3


def show(value: Any) -> str:
    """A short, safe description of a rejected value for an error message:
    bounded in length and depth, and never failing (huge integers, deep
    nesting, objects whose ``repr`` raises)."""
    try:
        shown = _SHOWN.repr(value)
    except Exception:  # too long an integer for str(), or a repr of the caller's that fails
        shown = f"<{value.bit_length()}-bit>" if isinstance(value, int) else "<unprintable>"
    return f"{type(value).__name__} {shown}"
