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
give those seqs again; other lines leave it out. A conversation's ``extra``
(the fields convstore has no column for, such as a fine-tuning line's
``tools``) is in ``"conversation"`` only when it is not ``{}``, so lines of
others are as convstore wrote them before it kept it. A root's line names its
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
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, TextIO

from .. import validation
from ..content.chat_format import is_chat_message, openai_message
from ..errors import InvalidInput
from ..store.store import Store
from ..types import IMPORTED_CONVERSATION_FIELDS, MESSAGE_FIELDS
from .importing import Skipped, check_store, import_source
from .lines import json_kind, member, read_json_lines
from .sources import SourceConversation, SourceProblem

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
    return sum(1 for _ in export_lines(store, user_id, out, since))


def export_lines(
    store: Store, user_id: str, out: TextIO, since: datetime | date | str | None = None
) -> Iterator[str]:
    """:func:`export_conversations`, a conversation at a time: yields each
    conversation's id once its line is written (for a progress bar).

    :raises InvalidInput: as :func:`export_conversations`, when the iterator is first advanced.
    """
    for conversation in conversations_of(store, user_id, since):
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
        if not conversation["extra"]:
            del conversation["extra"]  # lines without are as before convstore kept it
        line = {"messages": [_chat_message(message) for message in messages], "convstore": exact}
        out.write(json.dumps(line, ensure_ascii=False, default=_timestamp) + "\n")
        yield conversation["id"]


def import_conversations(
    store: Store, lines: Iterable[str | bytes], *, skip_invalid: bool = False
) -> dict[str, int]:
    """Read lines written by :func:`export_conversations` into ``store``; return
    how many conversations and messages were new (``{"conversations": 2,
    "messages": 9}``), and with ``skip_invalid`` how many lines were
    ``skipped``.

    ``lines`` is an iterable of lines, each ``str`` or UTF-8 ``bytes``: a file
    opened in text mode (``encoding="utf-8"``) or binary mode, or a list. Blank
    lines are skipped, as is a UTF-8 byte order mark. Compressed input is not
    unpacked: open a ``.jsonl.gz`` file with ``gzip.open(path, "rt",
    encoding="utf-8")``.

    A conversation, or a message or item (by ``seq``), already in the store is
    left as it is; a conversation id that another user's conversation holds is
    refused. Each line is written in its own transaction
    (:func:`convstore.transfer.importing.import_source`, which yields them one by one).

    :raises InvalidInput: for the first line that is not UTF-8, not JSON, not
        shaped like an export line, or holds a value convstore does not accept
        (with ``skip_invalid``, such a line is skipped instead, unless the
        input cannot be read past it); the message starts with ``line N:``
        and names the field. Nothing of that line or any later one is written.
    :raises NotFound: at the end, for the first branch whose parent was on
        no line and is not in the store (its branches are not imported).
    :raises ConvstoreError: any other error of the database while a line is
        written (say ``DatabaseUnavailable``), also starting with ``line N:``;
        that line is rolled back.
    """
    check_store(store)
    imported = {"conversations": 0, "messages": 0} | ({"skipped": 0} if skip_invalid else {})
    for outcome in import_source(store, read_lines(lines), skip_invalid=skip_invalid):
        if isinstance(outcome, Skipped):
            imported["skipped"] += 1
        else:
            imported["conversations"] += outcome.conversations
            imported["messages"] += outcome.messages
    return imported


def read_lines(lines: Iterable[str | bytes]) -> Iterator[SourceConversation | SourceProblem]:
    """Each non-blank line of a convstore export as the conversation it
    holds (``where`` is ``"line N"``), or as the problem that keeps it from
    being read, as lines are read (:func:`~convstore.transfer.lines.read_json_lines`).

    :raises InvalidInput: when ``lines`` is not an iterable of lines, or a
        text file's decoder fails (the lines after it cannot be read).
    """
    return read_json_lines(lines, conversation_of_line)


def conversation_of_line(record: Any, where: str) -> SourceConversation:
    """The conversation of a parsed export line.

    :raises InvalidInput: for a line of another shape, naming the member.
    """
    conversation, messages, active_branch_id = _line_parts(record)
    return SourceConversation(where, conversation, messages, active_branch_id, CONVERSATION_PATH)


CONVERSATION_PATH = "convstore.conversation."
"""Where a line holds its conversation's fields."""


def _line_parts(record: Any) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], Any]:
    """The conversation of an export line, its messages and items in
    ``seq`` order, each with where the line holds it (``messages[i]``,
    ``convstore.items[i]``), for :meth:`~convstore.Store.import_conversation`,
    which checks their values, and a root's active branch (``None``: the
    root); raises InvalidInput for a line of another shape, naming the member."""
    if not isinstance(record, dict):
        raise InvalidInput(f"{json_kind(record)}, not a JSON object (a convstore export line)")
    chat_messages = member(record, "messages", list)
    exact = member(record, "convstore", dict)
    conversation = member(exact, "conversation", dict, "convstore.")
    stored_messages = member(exact, "messages", list, "convstore.")
    items = member(exact, "items", list, "convstore.") if "items" in exact else []
    if len(chat_messages) != len(stored_messages):
        raise InvalidInput(
            f"messages has {len(chat_messages)} entries and convstore.messages "
            f"{len(stored_messages)}; they must pair up"
        )
    path = "convstore.conversation."
    for key in ("id", "user_id", "created_at", "updated_at"):
        member(conversation, key, str, path)
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
        member(exact, "active_branch_id", str, "convstore.")
    return imported_conversation, in_order, active_branch_id


def _message_parts(index: int, chat: Any, stored: Any) -> dict[str, Any]:
    """One message of a line from its chat message and its ``"convstore"`` fields."""
    if not isinstance(chat, dict):
        raise InvalidInput(f"messages[{index}] is {json_kind(chat)}, not a JSON object")
    if not isinstance(stored, dict):
        raise InvalidInput(f"convstore.messages[{index}] is {json_kind(stored)}, not a JSON object")
    path = f"convstore.messages[{index}]."
    member(chat, "role", str, f"messages[{index}].")
    member(stored, "seq", int, path)
    member(stored, "created_at", str, path)
    message = {key: chat[key] for key in (*IN_CHAT_FORMAT, "name", "weight") if key in chat}
    exact = (*STORED_ONLY, *WHEN_GIVEN, *IN_CHAT_FORMAT)
    message.update((key, stored[key]) for key in exact if key in stored)
    return message


def _item_parts(index: int, item: Any) -> dict[str, Any]:
    """One item of another kind of a line, from ``"convstore"``, ``"items"``."""
    path = f"convstore.items[{index}]"
    if not isinstance(item, dict):
        raise InvalidInput(f"{path} is {json_kind(item)}, not a JSON object")
    member(item, "seq", int, f"{path}.")
    member(item, "created_at", str, f"{path}.")
    member(item, "role", str, f"{path}.")
    if member(item, "kind", str, f"{path}.") == validation.CHAT_MESSAGE:
        raise InvalidInput(
            f'{path}.kind is "message": a chat message belongs in messages and '
            "convstore.messages, not in convstore.items"
        )
    parts = {key: item[key] for key in ITEM_FIELDS if key in item}
    parts.setdefault("content", None)  # an item may come without
    return parts


def conversations_of(
    store: Store, user_id: str, since: datetime | date | str | None
) -> Iterator[dict[str, Any]]:
    """``user_id``'s conversations active since ``since`` (as
    :func:`export_conversations` takes it), in the order of writes, oldest
    activity first, a page of :data:`PAGE_SIZE` at a time: the columns of
    ``export_conversations.sql`` but ``export_order``.

    :raises InvalidInput: for a bad store, ``user_id`` or ``since``, before anything is read.
    """
    check_store(store)
    user_id = validation.user_id(user_id, store.limits)
    since = validation.optional_timestamp("since", since)
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
