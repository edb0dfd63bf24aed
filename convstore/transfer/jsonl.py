"""JSONL export and import: one conversation per line in the OpenAI chat format
(``{"messages": [...]}``, usable as a fine-tuning or evaluation file), with
convstore's ids, seqs, timestamps, token counts and metadata under
``"convstore"`` so that an import restores the conversation exactly. Importing
the same file again changes nothing.

A line::

    {"messages": [<each chat message as the API takes it>],
     "convstore": {"conversation": {<every field of the conversation>},
                   "messages": [<what the chat format leaves out of each
                                 chat message (STORED_ONLY), paired with
                                 "messages" one to one>],
                   "items": [<every field of each item of another kind
                              (ITEM_FIELDS), oldest first>]}}

Only chat messages (``kind`` ``"message"``) are in ``"messages"``. Items of
another kind (a reasoning item, a Responses-API function call ...) have no
place in the chat format: they are kept whole under ``"convstore"``,
``"items"``, which is left out when there are none, so lines of conversations
without items are as convstore wrote them before it kept items. An import
writes the messages and items of a line in ``seq`` order, as they were written,
and each keeps its seq, kind and payload, and so its fingerprint, which is
computed from what it says (a message written before convstore kept
fingerprints, which has none, gets one).

A branch (a conversation forked from another, sharing its first messages)
is a whole conversation on its line: ``"messages"`` hold what it shares with
its ancestors too, so each line stays a complete chat, and its
``"convstore"``, ``"conversation"`` names its ``parent_id`` and ``fork_seq``.
A conversation whose newest messages were deleted carries its ``last_seq``
(the highest seq it gave) in ``"conversation"``, so that a restore does not
give those seqs again; other lines leave it out. A root's line names its
tree's active branch under ``"convstore"``,
``"active_branch_id"`` (left out when it is the root). An import writes
only a branch's own messages and checks that the shared ones are what its
parent holds, so the tree comes back exactly, sharing again, with its active
branch (for a root the import creates). Lines follow activity, so a branch
may come before its parent: it waits, in memory, until its parent's line is
imported, and so lists after it.

An import checks each line completely (its shape at every depth, then every
value as :meth:`convstore.Store.import_conversation` checks an import,
timestamps included) before it writes anything of it, and writes each line in
one transaction, by that method. The first line
that cannot be imported stops the import with an error that names it; the
lines before it stay imported, so fix the line and import the file again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple, TextIO

from .. import validation
from ..content.chat_format import is_chat_message, openai_message
from ..errors import ConvstoreError, InvalidInput, NotFound
from ..store.store import Store
from ..types import IMPORTED_CONVERSATION_FIELDS, MESSAGE_FIELDS

IN_CHAT_FORMAT = ("role", "content", "tool_calls", "tool_call_id", "function_call", "refusal")
"""The fields of a stored message that a line's OpenAI chat message carries,
as :func:`~convstore.content.chat_format.openai_message` sends them (and
``name``, but only when the API accepts it: it is kept under ``"convstore"``
too), with its fine-tuning ``weight`` when it has one."""

WHEN_GIVEN: dict[str, Any] = {"payload": None, "extra": {}, "tokens_estimated": False}
"""What ``"convstore"``, ``"messages"`` holds of a chat message only when it
is not the default given here, so that lines of messages without are as they
were before convstore kept them."""

STORED_ONLY = tuple(
    field
    for field in MESSAGE_FIELDS
    if field not in ("conversation_id", *IN_CHAT_FORMAT, "weight", "kind", *WHEN_GIVEN)
)
"""What the OpenAI format leaves out of a chat message and an exact import
needs, kept under ``"convstore"``, ``"messages"``: ``seq, name, tokens,
latency_ms, pinned, metadata, idempotency_key, created_at`` (the conversation
id is the line's, the kind ``"message"``), and :data:`WHEN_GIVEN`."""

ITEM_FIELDS = tuple(field for field in MESSAGE_FIELDS if field != "conversation_id")
"""What ``"convstore"``, ``"items"`` keeps of each item of another kind: every
field of a stored :class:`~convstore.types.Message` but the conversation id
(the line's): ``seq, role, content, tool_calls, tool_call_id, name, tokens,
latency_ms, pinned, metadata, idempotency_key, created_at, kind, payload``."""

NIL_UUID = "00000000-0000-0000-0000-000000000000"
PAGE_SIZE = 200
GZIP_MAGIC = b"\x1f\x8b"


def export_conversations(
    store: Store, user_id: str, out: TextIO, since: datetime | date | str | None = None
) -> int:
    """Write ``user_id``'s conversations active since ``since`` to ``out``, one
    JSON object a line (the module docstring shows it: chat messages in
    ``"messages"``, items of other kinds only under ``"convstore"``), oldest
    activity first (the order of writes, which an import then repeats); return
    how many.

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
        active_branch_id = conversation.pop("active_branch_id")
        if conversation["parent_id"] is None:  # a root: its line is as before branches
            del conversation["parent_id"], conversation["fork_seq"]
        stored = store.get_messages(conversation["id"], limit=None)
        messages = [message for message in stored if is_chat_message(message)]
        items = [item for item in stored if not is_chat_message(item)]
        exact: dict[str, Any] = {
            "conversation": conversation,
            "messages": [_stored_fields(message) for message in messages],
        }
        if items:
            exact["items"] = [_item_fields(item) for item in items]
        if active_branch_id is not None:
            exact["active_branch_id"] = active_branch_id
        if conversation["last_seq"] == max((message["seq"] for message in stored), default=0):
            del conversation["last_seq"]  # nothing after its newest message was deleted
        line = {"messages": [_chat_message(message) for message in messages], "convstore": exact}
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

    A conversation, or a message or item (by ``seq``), already in the store is
    left as it is; a conversation id that another user's conversation holds is
    refused.

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
    its own transaction before the next is read, but a branch whose parent is
    not stored yet, which waits for its parent's line.

    :raises InvalidInput: as :func:`import_conversations`, when the failing line is reached.
    :raises NotFound: at the end, for the first branch whose parent was on
        no line and is not in the store (its branches are not imported).
    :raises ConvstoreError: as :func:`import_conversations`.
    """
    _check_store(store)
    waiting: dict[str, list[_Line]] = {}
    showing: set[str] = set()
    for number, line in _numbered_lines(lines):
        if not line.strip():
            continue
        try:
            parsed = _Line(number, *_line_parts(_parsed(line)))
        except InvalidInput as error:
            raise InvalidInput(f"line {number}: {error}") from None
        yield from _import_with_waiting(store, parsed, waiting, showing)
    if waiting:
        first = min((line for lines in waiting.values() for line in lines), key=_line_number)
        raise NotFound(
            f"line {first.number}: convstore.conversation.parent_id: conversation "
            f"{first.conversation['parent_id']} is neither in the store nor on a line "
            "of the input; import it before its branches"
        )


class _Line(NamedTuple):
    """A parsed line, to import."""

    number: int
    conversation: dict[str, Any]
    messages: list[tuple[str, dict[str, Any]]]
    active_branch_id: str | None


def _import_with_waiting(
    store: Store, line: _Line, waiting: dict[str, list[_Line]], showing: set[str]
) -> Iterator[ImportedLine]:
    """Import ``line``, then the lines of its branches that waited for it
    (an export lists conversations by activity, so a branch may come before
    its parent). A branch whose parent is not stored yet waits in
    ``waiting``. A new root's active branch is chosen when that branch is
    imported (``showing`` holds the ones still to come)."""
    ready = [line]
    while ready:
        current = ready.pop(0)
        conversation, messages = current.conversation, current.messages
        try:
            imported = store.import_conversation(conversation, [given for _, given in messages])
        except NotFound:  # only a branch's parent can be missing
            waiting.setdefault(_id_of(conversation["parent_id"]), []).append(current)
            continue
        except ConvstoreError as error:
            where = _in_line(str(error), [path for path, _ in messages])
            raise type(error)(f"line {current.number}: {where}") from error
        conversation_id = _id_of(conversation["id"])
        if imported.created and current.active_branch_id is not None:
            showing.add(_id_of(current.active_branch_id))
        if conversation_id in showing:
            store.set_active_branch(conversation_id)
            showing.discard(conversation_id)
        yield ImportedLine(current.number, int(imported.created), imported.messages)
        ready += waiting.pop(conversation_id, [])


def _line_number(line: _Line) -> int:
    return line.number


def _id_of(conversation_id: str) -> str:
    """The UUID a line's conversation id stands for (checked by the import)."""
    try:
        return validation.conversation_id(conversation_id)
    except InvalidInput:
        return conversation_id


GIVEN_MESSAGE = re.compile(r"messages\[(\d+)\]: ")
"""How :meth:`~convstore.Store.import_conversation` starts the reason of a
message it refuses (its docstring's promise)."""


def _in_line(reason: str, paths: list[str]) -> str:
    """A reason of :meth:`~convstore.Store.import_conversation` in the terms of
    the line: the store names a conversation's field ``conversation.<field>``
    (the line holds it under ``"convstore"``) and a message ``messages[i]: ``
    by its index in the list it was given (``paths[i]`` in the line)."""
    if reason.startswith("conversation."):
        return f"convstore.{reason}"
    given = GIVEN_MESSAGE.match(reason)
    if given is None:
        return reason
    return f"{paths[int(given.group(1))]}: {reason[given.end() :]}"


def _numbered_lines(lines: Iterable[str | bytes]) -> Iterator[tuple[int, str]]:
    """Each line as text with its number (from 1)."""
    if isinstance(lines, (str, bytes, bytearray)):
        raise InvalidInput(
            "lines must be an iterable of lines (an open file, a list), not one "
            f"{type(lines).__name__}; read it as a file: io.StringIO(text) or io.BytesIO(data) "
            "(not .splitlines(), which also splits at the U+2028 an export may hold in a string)"
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


def _line_parts(record: Any) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], Any]:
    """The conversation of an export line, its messages and items in
    ``seq`` order, each with where the line holds it (``messages[i]``,
    ``convstore.items[i]``), for :meth:`~convstore.Store.import_conversation`,
    which checks their values, and a root's active branch (``None``: the
    root); raises InvalidInput for a line of another shape, naming the member."""
    if not isinstance(record, dict):
        raise InvalidInput(f"{_json_kind(record)}, not a JSON object (a convstore export line)")
    chat_messages = _member(record, "messages", list)
    exact = _member(record, "convstore", dict)
    conversation = _member(exact, "conversation", dict, "convstore.")
    stored_messages = _member(exact, "messages", list, "convstore.")
    items = _member(exact, "items", list, "convstore.") if "items" in exact else []
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
        (f"messages[{index}]", _message_parts(index, chat, stored))
        for index, (chat, stored) in enumerate(zip(chat_messages, stored_messages, strict=True))
    ]
    imported_items = [
        (f"convstore.items[{index}]", _item_parts(index, item)) for index, item in enumerate(items)
    ]
    # In the order they were written: searches list a conversation's newest writes first.
    in_order = sorted([*imported_messages, *imported_items], key=lambda entry: entry[1]["seq"])
    active_branch_id = exact.get("active_branch_id")
    if active_branch_id is not None:
        _member(exact, "active_branch_id", str, "convstore.")
    return imported_conversation, in_order, active_branch_id


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
    message = {key: chat[key] for key in (*IN_CHAT_FORMAT, "name", "weight") if key in chat}
    exact = (*STORED_ONLY, *WHEN_GIVEN, *IN_CHAT_FORMAT)
    message.update((key, stored[key]) for key in exact if key in stored)
    return message


def _item_parts(index: int, item: Any) -> dict[str, Any]:
    """One item of another kind of a line, from ``"convstore"``, ``"items"``."""
    path = f"convstore.items[{index}]"
    if not isinstance(item, dict):
        raise InvalidInput(f"{path} is {_json_kind(item)}, not a JSON object")
    _member(item, "seq", int, f"{path}.")
    _member(item, "created_at", str, f"{path}.")
    _member(item, "role", str, f"{path}.")
    if _member(item, "kind", str, f"{path}.") == validation.CHAT_MESSAGE:
        raise InvalidInput(
            f'{path}.kind is "message": a chat message belongs in messages and '
            "convstore.messages, not in convstore.items"
        )
    parts = {key: item[key] for key in ITEM_FIELDS if key in item}
    parts.setdefault("content", None)  # an item may come without
    return parts


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


def _chat_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A line's chat message: as the API takes it, with its fine-tuning weight."""
    chat = openai_message(message)
    if message["weight"] is not None:
        chat["weight"] = message["weight"]
    return chat


def _stored_fields(message: Mapping[str, Any]) -> dict[str, Any]:
    """What the OpenAI format leaves out of a chat message and an exact import
    needs (:data:`STORED_ONLY`, and :data:`WHEN_GIVEN` if it has them), and
    each field the OpenAI format carries otherwise than stored (a tool call's
    extra keys, such as a stream's ``index``, or calls the API would refuse;
    content ``None`` sent as ``""``): the stored value wins on import."""
    fields = {key: message[key] for key in STORED_ONLY}
    fields.update(
        (key, message[key]) for key, default in WHEN_GIVEN.items() if message[key] != default
    )
    sent = openai_message(message)
    fields.update((key, message[key]) for key in IN_CHAT_FORMAT if sent.get(key) != message[key])
    return fields


def _item_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """What an exact import of an item of another kind needs (:data:`ITEM_FIELDS`)."""
    return {key: item[key] for key in ITEM_FIELDS}


def _timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _check_store(store: object) -> None:
    if not isinstance(store, Store):
        raise InvalidInput(f"store must be a convstore Store, not {type(store).__name__}")
