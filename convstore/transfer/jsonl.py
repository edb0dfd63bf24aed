"""JSONL export and import: one conversation per line in the OpenAI chat format
(``{"messages": [...]}``, usable as a fine-tuning or evaluation file), with
convstore's ids, seqs, timestamps, token counts and metadata under
``"convstore"`` so that an import restores the conversation exactly. Importing
the same file again changes nothing.

An import checks each line completely (its shape at every depth, then every
value as :meth:`convstore.Store.import_conversation` checks an import,
timestamps included) before it writes anything of it, and writes each line in
one transaction, by that method. The first line
that cannot be imported stops the import with an error that names it; the
lines before it stay imported, so fix the line and import the file again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple, TextIO

from .. import validation
from ..content.chat_format import openai_message
from ..errors import ConvstoreError, InvalidInput
from ..store.store import Store
from ..types import IMPORTED_CONVERSATION_FIELDS, MESSAGE_FIELDS

IN_CHAT_FORMAT = ("role", "content", "tool_calls", "tool_call_id")
"""The fields of a stored message that a line's OpenAI chat message carries
(and ``name``, but only when the API accepts it: it is kept under
``"convstore"`` too)."""

STORED_ONLY = tuple(
    field for field in MESSAGE_FIELDS if field not in ("conversation_id", *IN_CHAT_FORMAT)
)
"""What the OpenAI format leaves out and an exact import needs, kept under
``"convstore"``: ``seq, name, tokens, latency_ms, pinned, metadata,
idempotency_key, created_at`` (the conversation id is the line's)."""

NIL_UUID = "00000000-0000-0000-0000-000000000000"
PAGE_SIZE = 200
GZIP_MAGIC = b"\x1f\x8b"


def export_conversations(
    store: Store, user_id: str, out: TextIO, since: datetime | date | str | None = None
) -> int:
    """Write ``user_id``'s conversations active since ``since`` to ``out``, one
    JSON object a line, oldest activity first (the order of writes, which an
    import then repeats); return how many.

    ``since`` is a ``datetime``, a ``date`` or ISO 8601 text, read by
    :func:`convstore.validation.timestamp` (without a time zone: UTC), or
    ``None`` for all.

    :raises InvalidInput: for a bad ``user_id`` or ``since``, before anything is written.
    """
    _check_store(store)
    checked_user = validation.user_id(user_id, store.limits)
    checked_since = validation.optional_timestamp("since", since)
    written = 0
    for conversation in _conversations(store, checked_user, checked_since):
        messages = store.get_messages(conversation["id"], limit=None)
        line = {
            "messages": [openai_message(message) for message in messages],
            "convstore": {
                "conversation": conversation,
                "messages": [_stored_fields(message) for message in messages],
            },
        }
        out.write(json.dumps(line, ensure_ascii=False, default=_timestamp) + "\n")
        written += 1
    return written


class ImportedLine(NamedTuple):
    """One line of an import, committed."""

    number: int
    """The line's number in the input, from 1 (blank lines count)."""
    conversations: int
    """1 if the line's conversation was new, else 0."""
    messages: int
    """How many of the line's messages were new."""


def import_conversations(store: Store, lines: Iterable[str | bytes]) -> dict[str, int]:
    """Read lines written by :func:`export_conversations` into ``store``; return
    how many conversations and messages were new.

    ``lines`` is an iterable of lines, each ``str`` or UTF-8 ``bytes``: a file
    opened in text mode (``encoding="utf-8"``) or binary mode, or a list. Blank
    lines are skipped, as is a UTF-8 byte order mark. Compressed input is not
    unpacked: open a ``.jsonl.gz`` file with ``gzip.open(path, "rt",
    encoding="utf-8")``.

    A conversation or message (by ``seq``) already in the store is left as it
    is; a conversation id that another user's conversation holds is refused.

    :raises InvalidInput: for the first line that is not UTF-8, not JSON, not
        shaped like an export line, or holds a value convstore does not accept;
        the message starts with ``line N:`` and names the field. Nothing of
        that line or any later one is written.
    :raises ConvstoreError: any other error of the database while a line is
        written (say ``DatabaseUnavailable``), also starting with ``line N:``;
        that line is rolled back.
    """
    imported = {"conversations": 0, "messages": 0}
    for line in import_lines(store, lines):
        imported["conversations"] += line.conversations
        imported["messages"] += line.messages
    return imported


def import_lines(store: Store, lines: Iterable[str | bytes]) -> Iterator[ImportedLine]:
    """:func:`import_conversations`, one line at a time: yields an
    :class:`ImportedLine` as each non-blank line is committed, so a caller
    knows what is stored when a later line fails. Nothing is read or written
    until the iterator is advanced; each line is read, checked and written in
    its own transaction before the next is read.

    :raises InvalidInput: as :func:`import_conversations`, when the failing line is reached.
    :raises ConvstoreError: as :func:`import_conversations`.
    """
    _check_store(store)
    for number, line in _numbered_lines(lines):
        if not line.strip():
            continue
        try:
            conversation, messages = _line_parts(_parsed(line))
        except InvalidInput as error:
            raise InvalidInput(f"line {number}: {error}") from None
        try:
            imported = store.import_conversation(conversation, messages)
        except ConvstoreError as error:
            # the store names a conversation's field "conversation.<field>"; the
            # line holds it under "convstore"
            where = "convstore." if str(error).startswith("conversation.") else ""
            raise type(error)(f"line {number}: {where}{error}") from error
        yield ImportedLine(number, int(imported.created), imported.messages)


def _numbered_lines(lines: Iterable[str | bytes]) -> Iterator[tuple[int, str]]:
    """Each line as text with its number (from 1)."""
    if isinstance(lines, (str, bytes, bytearray)):
        raise InvalidInput(
            "lines must be an iterable of lines (an open file, a list), not one "
            f"{type(lines).__name__}; split it with .splitlines()"
        )
    try:
        iterator = iter(lines)
    except TypeError:
        raise InvalidInput(
            f"lines must be an iterable of lines (an open file, a list), not {type(lines).__name__}"
        ) from None
    number = 0
    while True:
        number += 1
        try:
            line = next(iterator)
        except StopIteration:
            return
        except UnicodeDecodeError as error:  # a file opened as UTF-8 text
            # The decoder failed on a block that starts at line `number`; the
            # bad byte is on the line after the newlines before it in the block.
            before = bytes(error.object[: error.start])
            bad_line = number + before.count(b"\n")
            byte: int | None = len(before) - before.rfind(b"\n")  # from 1 (rfind: -1 on line 1)
            if number > 1 and bad_line == number:
                byte = None  # the block starts mid-line: the column is unknown
            raise InvalidInput(f"line {bad_line}: {_not_utf8(error, bad_line, byte)}") from None
        if isinstance(line, (bytes, bytearray)):
            try:
                line = bytes(line).decode("utf-8")
            except UnicodeDecodeError as error:
                message = _not_utf8(error, number, error.start + 1)
                raise InvalidInput(f"line {number}: {message}") from None
        elif not isinstance(line, str):
            raise InvalidInput(f"line {number}: a {type(line).__name__}, not text")
        yield number, line.removeprefix("\ufeff") if number == 1 else line


def _not_utf8(error: UnicodeDecodeError, number: int, byte: int | None) -> str:
    if number == 1 and bytes(error.object[:2]) == GZIP_MAGIC:
        return (
            "the input is gzip-compressed; decompress it first (gunzip, or "
            "gzip.open(path, 'rt', encoding='utf-8') in Python)"
        )
    bad = bytes(error.object[error.start : error.end]).hex(" ")
    where = f"byte {byte} (0x{bad})" if byte is not None else f"byte 0x{bad}"
    return f"{where} is not UTF-8 ({error.reason}); the input must be UTF-8 text, as exports are"


def _parsed(line: str) -> Any:
    try:
        return json.loads(line, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidInput("nested too deeply to read") from None
    except ValueError as error:  # JSONDecodeError, or an integer over 4,300 digits
        raise InvalidInput(f"not JSON ({error})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _line_parts(record: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The conversation and messages of an export line, for
    :meth:`~convstore.Store.import_conversation`, which checks their values;
    raises InvalidInput for a line of another shape, naming the member."""
    if not isinstance(record, dict):
        raise InvalidInput(f"{_json_kind(record)}, not a JSON object (a convstore export line)")
    chat_messages = _member(record, "messages", list)
    exact = _member(record, "convstore", dict)
    conversation = _member(exact, "conversation", dict, "convstore.")
    stored_messages = _member(exact, "messages", list, "convstore.")
    if len(chat_messages) != len(stored_messages):
        raise InvalidInput(
            f"messages has {len(chat_messages)} entries and convstore.messages "
            f"{len(stored_messages)}; they must pair up"
        )
    path = "convstore.conversation."
    for key in ("id", "user_id", "created_at", "updated_at"):
        _member(conversation, key, str, path)
    imported_conversation = {
        key: conversation[key] for key in IMPORTED_CONVERSATION_FIELDS if key in conversation
    }
    imported_messages = [
        _message_parts(index, chat, stored)
        for index, (chat, stored) in enumerate(zip(chat_messages, stored_messages, strict=True))
    ]
    return imported_conversation, imported_messages


def _message_parts(index: int, chat: Any, stored: Any) -> dict[str, Any]:
    """One message of a line from its chat message and its ``"convstore"`` fields."""
    if not isinstance(chat, dict):
        raise InvalidInput(f"messages[{index}] is {_json_kind(chat)}, not a JSON object")
    if not isinstance(stored, dict):
        raise InvalidInput(
            f"convstore.messages[{index}] is {_json_kind(stored)}, not a JSON object"
        )
    path = f"convstore.messages[{index}]."
    _member(chat, "role", str, f"messages[{index}].")
    _member(stored, "seq", int, path)
    _member(stored, "created_at", str, path)
    message = {key: chat[key] for key in IN_CHAT_FORMAT if key in chat}
    message["content"] = chat.get("content")  # an assistant's tool calls may come without
    if "name" in chat:
        message["name"] = chat["name"]
    message.update((key, stored[key]) for key in STORED_ONLY if key in stored)
    return message


def _member(record: Mapping[str, Any], key: str, kind: type, path: str = "") -> Any:
    """``record[key]``, which must be present and of JSON type ``kind``."""
    if key not in record:
        raise InvalidInput(f"{path}{key} is missing")
    value = record[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = {dict: "an object", list: "an array", str: "a string", int: "an integer"}
        raise InvalidInput(f"{path}{key} must be {expected[kind]}, got {_json_kind(value)}")
    return value


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    kinds = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }
    return kinds.get(type(value), type(value).__name__)


def _conversations(store: Store, user_id: str, since: str | None) -> Iterator[dict[str, Any]]:
    """The user's conversations in the order of writes, oldest activity first."""
    after: dict[str, Any] = {"after_order": None, "after_id": NIL_UUID}
    while True:
        page = store.run(
            "export_conversations", user_id=user_id, since=since, limit=PAGE_SIZE, **after
        )
        for conversation in page:
            after = {
                "after_order": conversation.pop("export_order"),
                "after_id": conversation["id"],
            }
            yield conversation
        if len(page) < PAGE_SIZE:
            return


def _stored_fields(message: Mapping[str, Any]) -> dict[str, Any]:
    """What the OpenAI format leaves out and an exact import needs (:data:`STORED_ONLY`)."""
    return {key: message[key] for key in STORED_ONLY}


def _timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _check_store(store: object) -> None:
    if not isinstance(store, Store):
        raise InvalidInput(f"store must be a convstore Store, not {type(store).__name__}")
