"""OpenAI's chat fine-tuning (and evaluation) JSONL, in and out.

A line is one example, as OpenAI's fine-tuning guide and its ``chat`` file
format describe it (https://platform.openai.com/docs/guides/supervised-fine-tuning,
"Preparing your dataset")::

    {"messages": [{"role": "system" | "user" | "assistant" | "tool" | "function",
                   "content": <text, a list of parts, or absent/null>,
                   "name", "tool_calls", "tool_call_id", "function_call",
                   "refusal", "weight": 0 | 1, ...}],
     "tools": [...], "functions": [...], "parallel_tool_calls": false, ...}

Where each is stored:

- each message is a chat message: its OpenAI fields (:data:`MESSAGE_FIELDS`)
  in the message's columns, any other field of it in the message's ``extra``;
- ``tools``, ``functions``, ``parallel_tool_calls`` and any other member of
  the line but ``messages`` in the conversation's ``extra``;
- the format has no ids, owners or times: a line's conversation gets the id
  :func:`line_conversation_id` (from its owner, its content and how many
  identical lines came before it in the file, so a re-import stores nothing
  twice and a file that repeats an example keeps both), the user the import
  names, and the time of the import.

The export writes each conversation back as such a line, its messages as
stored (content, parts, names, calls, weights, their ``extra`` fields) and its
``extra`` members beside ``messages``: a file imported and exported is the
same examples, member for member (a ``null`` content may come back absent: the
API reads both alike). Items of other kinds, token counts, metadata and times
are not in the format; :mod:`convstore.transfer.jsonl` keeps them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TextIO

from .. import validation
from ..content.chat_format import is_chat_message
from ..errors import InvalidInput
from ..store.store import Store
from ..types import MESSAGE_FIELDS as CONVSTORE_MESSAGE_FIELDS
from .jsonl import conversations_of
from .lines import json_kind, member, read_json_lines
from .sources import SourceConversation, SourceProblem

MESSAGE_FIELDS = (
    "role",
    "content",
    "name",
    "tool_calls",
    "tool_call_id",
    "function_call",
    "refusal",
    "weight",
)
"""The members of a line's message that have a column of their own."""

LINE_NAMESPACE = uuid.UUID("5b0f3b8e-8f5e-4d0a-9c43-7a1f4f2c6e11")
"""The namespace of :func:`line_conversation_id`'s UUIDs (chosen once for convstore)."""


def read_openai_lines(
    lines: Iterable[str | bytes], user_id: str, imported_at: datetime
) -> Iterator[SourceConversation | SourceProblem]:
    """Each non-blank line of an OpenAI chat JSONL file as its conversation,
    owned by ``user_id`` and written at ``imported_at``, or the problem that
    keeps it from being read (``where`` is ``"line N"``).

    :raises InvalidInput: when ``lines`` is not an iterable of lines, or a
        text file's decoder fails.
    """
    return read_json_lines(lines, OpenAILines(user_id, imported_at))


class OpenAILines:
    """Reads parsed lines into conversations, counting identical lines (for
    their ids): one instance a file."""

    def __init__(self, user_id: str, imported_at: datetime) -> None:
        """:raises InvalidInput: for a ``user_id`` that is not a non-empty
        string, or an ``imported_at`` that is not a time."""
        if not isinstance(user_id, str) or not user_id:
            raise InvalidInput(f"user_id must be a non-empty string, got {json_kind(user_id)}")
        self.user_id = user_id
        self.imported_at = validation.timestamp("imported_at", imported_at)
        self.seen: Counter[bytes] = Counter()
        """How many times each line's digest came so far."""

    def __call__(self, record: Any, where: str) -> SourceConversation:
        """The conversation of one parsed line.

        :raises InvalidInput: for a line that is not an object holding a
            non-empty array ``messages`` of objects with a string ``role``,
            or a message member named as a convstore field that OpenAI's
            format does not have (``metadata``, ``tokens`` ...).
        """
        if not isinstance(record, dict):
            raise InvalidInput(f"{json_kind(record)}, not a JSON object with messages")
        given = member(record, "messages", list)
        if not given:
            raise InvalidInput("messages is empty: an example holds at least one message")
        messages = [
            (f"messages[{index}]", self._message(index, chat)) for index, chat in enumerate(given)
        ]
        as_read = canonical_json(_as_read(record)).encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(as_read).digest()  # a lone surrogate is the store's to refuse
        self.seen[digest] += 1
        conversation = {
            "id": line_conversation_id(self.user_id, digest, self.seen[digest]),
            "user_id": self.user_id,
            "created_at": self.imported_at,
            "updated_at": self.imported_at,
            "extra": {key: value for key, value in record.items() if key != "messages"},
        }
        return SourceConversation(where, conversation, messages, extra_path="")

    def _message(self, index: int, chat: Any) -> dict[str, Any]:
        path = f"messages[{index}]"
        if not isinstance(chat, dict):
            raise InvalidInput(f"{path} is {json_kind(chat)}, not a JSON object")
        member(chat, "role", str, f"{path}.")
        taken = sorted(
            key for key in chat if key not in MESSAGE_FIELDS and key in CONVSTORE_MESSAGE_FIELDS
        )
        if taken:
            raise InvalidInput(
                f"{path}.{taken[0]} is not a member of OpenAI's chat format, and convstore "
                "keeps a field of its own under that name; rename it or drop it"
            )
        message = {key: chat[key] for key in MESSAGE_FIELDS if key in chat}
        extra = {key: value for key, value in chat.items() if key not in MESSAGE_FIELDS}
        message.update(seq=index + 1, created_at=self.imported_at)
        if extra:
            message["extra"] = extra
        return message


def line_conversation_id(user_id: str, digest: bytes, occurrence: int) -> str:
    """The id of the conversation of a line of ``user_id``'s whose canonical
    JSON has the SHA-256 ``digest``, the ``occurrence``-th such line of its
    file (from 1): a UUID 5 in :data:`LINE_NAMESPACE` (of the owner's
    SHA-256, which any string has, so that the store is the one to refuse a
    user id it does not take)."""
    owner = hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()
    return str(uuid.uuid5(LINE_NAMESPACE, f"{owner}\n{digest.hex()}\n{occurrence}"))


def _as_read(record: dict[str, Any]) -> dict[str, Any]:
    """A line as the API reads it, for its digest: a message member that is
    ``null`` is as absent (the export leaves such members out, so an exported
    file imported again is the same examples)."""
    messages = record["messages"]
    kept = [
        {key: value for key, value in message.items() if value is not None} for message in messages
    ]
    return {**record, "messages": kept}


def canonical_json(value: Any) -> str:
    """``value`` as JSON with sorted keys and no spaces, so that lines that
    differ only in layout have the same digest."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def export_openai_lines(
    store: Store, user_id: str, out: TextIO, since: datetime | str | None = None
) -> Iterator[str]:
    """Write ``user_id``'s conversations active since ``since`` (``None``:
    all) to ``out`` as OpenAI chat fine-tuning lines (the module docstring
    says what a line holds), oldest activity first, each complete (a
    branch's line holds what it shares with its parent); yield each
    conversation's id once its line is written. A conversation without chat
    messages has no line (the format needs at least one message).

    :raises InvalidInput: for a bad ``user_id`` or ``since``, before anything is written.
    """
    for conversation in conversations_of(store, user_id, since):
        stored = store.get_messages(conversation["id"], limit=None)
        messages = [_line_message(message) for message in stored if is_chat_message(message)]
        if not messages:
            continue
        line = {"messages": messages, **conversation["extra"]}
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        yield conversation["id"]


def _line_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A stored chat message as a line's message: its OpenAI fields that it
    has (``None`` left out), then its ``extra`` members."""
    line = {key: message[key] for key in MESSAGE_FIELDS if message[key] is not None}
    line.update(message["extra"])
    return line
