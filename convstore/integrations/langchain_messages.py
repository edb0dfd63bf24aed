"""LangChain messages as convstore messages: the mirror of a LangGraph
thread's ``messages`` channel (:mod:`convstore.integrations.langgraph`).

Each LangChain message is one convstore chat message:

- ``HumanMessage`` is ``user``, ``AIMessage`` (and its chunks) ``assistant``,
  ``SystemMessage`` ``system`` (pinned: it stays in every token-budget
  context), ``ToolMessage`` ``tool`` (with its ``tool_call_id`` and tool
  ``name``), a ``ChatMessage`` its own role when convstore has it (else
  ``user``);
- ``content`` is the text: a string as it is, a list of content blocks as its
  text blocks joined (an assistant message with tool calls and no text has
  none);
- an ``AIMessage``'s ``tool_calls`` in the OpenAI Chat Completions form
  (``{"id", "type": "function", "function": {"name", "arguments"}}``, the
  arguments as JSON text) and its ``usage_metadata["output_tokens"]`` as its
  token count;
- ``metadata``: ``langchain_type`` (the message's ``type``), and ``model``
  (``response_metadata["model_name"]``) when known;
- the message's ``id`` is its idempotency key (the one LangGraph's
  ``add_messages`` reducer matches messages by).

NUL characters, which PostgreSQL cannot store in text, are replaced by
U+FFFD in the mirror (the checkpoint keeps the message exactly).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    SystemMessage,
    ToolMessage,
)

from ..store.store import Store
from ..types import Message, NewMessage
from ..validation import ROLES, message_fingerprint

REPLACEMENT = "\ufffd"
"""What a NUL character becomes in the mirror."""


def is_message_list(value: Any) -> bool:
    """Whether a channel's value is a list of LangChain messages (what the mirror reflects)."""
    return isinstance(value, list) and all(isinstance(item, BaseMessage) for item in value)


def new_message(message: BaseMessage) -> NewMessage:
    """The convstore message a LangChain message is mirrored as (see the
    module's docstring); its ``idempotency_key`` is the message's id."""
    role, pinned = _role(message)
    text = _text(message.content)
    mirrored = NewMessage(role=role, content=text, pinned=pinned)
    calls = message.tool_calls if isinstance(message, AIMessage) else []
    if calls:
        mirrored["tool_calls"] = [_tool_call(call, index) for index, call in enumerate(calls)]
        mirrored["content"] = text or None
    if isinstance(message, ToolMessage):
        mirrored["tool_call_id"] = _clean(message.tool_call_id)
    if message.name:
        mirrored["name"] = _clean(message.name)
    usage = getattr(message, "usage_metadata", None)
    if usage and isinstance(usage.get("output_tokens"), int):
        mirrored["tokens"] = usage["output_tokens"]
    metadata: dict[str, Any] = {"langchain_type": message.type}
    model = message.response_metadata.get("model_name")
    if isinstance(model, str):
        metadata["model"] = _clean(model)
    mirrored["metadata"] = metadata
    if message.id:
        mirrored["idempotency_key"] = _clean(message.id)
    return mirrored


@dataclass(frozen=True)
class MirrorHint:
    """What a saver knows of a conversation's messages: they mirror a list
    of ``length`` messages whose first ``unchanged`` start the new list."""

    length: int
    unchanged: int


def mirror(
    store: Store,
    conversation_id: str,
    messages: Sequence[BaseMessage],
    hint: MirrorHint | None = None,
) -> None:
    """Make the conversation's messages those ``messages`` are mirrored as,
    writing only what differs: appended messages are appended; messages
    changed in place (the same count) are replaced, keeping their seqs;
    messages removed from the middle are deleted; anything else replaces the
    messages after the longest unchanged start.

    With a ``hint`` whose length is the conversation's message count, its
    unchanged messages are taken as they are and only the rest is compared,
    so a turn costs its new messages, not the thread; without one (or if the
    count differs) every message is compared. Runs in the caller's
    transaction, which holds the conversation's lock.
    """
    start = 0
    stored: Sequence[Mapping[str, Any]] | None = None
    if hint is not None:
        found = store.run("get_conversation", conversation_id=conversation_id)
        if found and found[0]["message_count"] == hint.length:
            start = hint.unchanged
            tail = (
                store.get_messages(conversation_id, limit=hint.length - start)
                if hint.length > start
                else []
            )
            stored = [_fingerprinted(message, store) for message in tail]
    if stored is None:
        stored = store.get_message_fingerprints(conversation_id)
    taken = {message.id for message in messages[:start] if message.id}
    wanted = _unique_keys([new_message(message) for message in messages[start:]], taken)
    fingerprints = [message_fingerprint(message, store.limits) for message in wanted]
    _write_difference(store, conversation_id, stored, wanted, fingerprints)


def _write_difference(
    store: Store,
    conversation_id: str,
    stored: Sequence[Mapping[str, Any]],
    wanted: Sequence[NewMessage],
    fingerprints: Sequence[str],
) -> None:
    """Turn the ``stored`` messages (their seqs and fingerprints) into ``wanted``."""
    same = [_unchanged(s, w, f) for s, w, f in zip(stored, wanted, fingerprints, strict=False)]
    start = same.index(False) if False in same else len(same)
    if start == len(stored) == len(wanted):
        return
    if len(stored) == len(wanted):
        for old, message, unchanged in zip(stored, wanted, same, strict=True):
            if not unchanged:
                store.replace_message(conversation_id, old["seq"], message)
        return
    end = _common_end(stored[start:], wanted[start:], fingerprints[start:])
    removed = stored[start : len(stored) - end] if start + end == len(wanted) else stored[start:]
    if removed:
        store.delete_messages(conversation_id, seqs=[old["seq"] for old in removed])
    if start + end < len(wanted):
        store.add_messages(conversation_id, list(wanted[start:]))


def _unique_keys(messages: list[NewMessage], taken: set[str]) -> list[NewMessage]:
    """``messages`` without the idempotency key of any message whose id is
    ``taken`` or an earlier one's (a list not built by ``add_messages`` may
    repeat ids; a conversation's keys are unique)."""
    for message in messages:
        key = message.get("idempotency_key")
        if key is None:
            continue
        if key in taken:
            del message["idempotency_key"]
        taken.add(key)
    return messages


def _fingerprinted(message: Message, store: Store) -> dict[str, Any]:
    """A stored message as :meth:`Store.get_message_fingerprints` gives it."""
    return {
        "seq": message["seq"],
        "fingerprint": message_fingerprint(message, store.limits),
        "tokens": message["tokens"],
        "pinned": message["pinned"],
        "idempotency_key": message["idempotency_key"],
    }


def _unchanged(stored: Mapping[str, Any], wanted: NewMessage, fingerprint: str) -> bool:
    return (
        stored["fingerprint"] == fingerprint
        and stored["tokens"] == wanted.get("tokens")
        and stored["pinned"] == wanted.get("pinned", False)
        and stored["idempotency_key"] == wanted.get("idempotency_key")
    )


def _common_end(
    stored: Sequence[Mapping[str, Any]], wanted: Sequence[NewMessage], fingerprints: Sequence[str]
) -> int:
    """How many messages at the end of ``stored`` and ``wanted`` are unchanged."""
    count = 0
    for s, w, f in zip(reversed(stored), reversed(wanted), reversed(fingerprints), strict=False):
        if not _unchanged(s, w, f):
            break
        count += 1
    return count


def _role(message: BaseMessage) -> tuple[str, bool]:
    """The role and whether the message is pinned."""
    if isinstance(message, ToolMessage):
        return "tool", False
    if isinstance(message, AIMessage):
        return "assistant", False
    if isinstance(message, SystemMessage):
        return "system", True
    if isinstance(message, ChatMessage) and message.role in ROLES:
        return message.role, message.role == "system"
    return "user", False  # a HumanMessage, or a role convstore does not have


def _text(content: str | list[Any]) -> str:
    if isinstance(content, str):
        return _clean(content)
    parts = [
        block if isinstance(block, str) else block.get("text", "")
        for block in content
        if isinstance(block, str) or (isinstance(block, dict) and block.get("type") == "text")
    ]
    return _clean("".join(part for part in parts if isinstance(part, str)))


def _tool_call(call: Any, index: int) -> dict[str, Any]:
    """A LangChain ``ToolCall`` in the OpenAI form; a call without an id
    (which the Chat Completions API would refuse) is named by its position."""
    arguments = json.dumps(call.get("args") or {}, ensure_ascii=False, default=str)
    return {
        "id": _clean(call.get("id") or f"call_{index}"),
        "type": "function",
        "function": {"name": _clean(call.get("name") or ""), "arguments": _clean(arguments)},
    }


def _clean(text: str) -> str:
    return text.replace("\x00", REPLACEMENT)
