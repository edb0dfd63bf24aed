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
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    SystemMessage,
    ToolMessage,
)

from ..store.store import Store
from ..types import MessageFingerprint, NewMessage
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


def mirror(
    store: Store, conversation_id: str, wanted: Sequence[NewMessage], fingerprints: Sequence[str]
) -> None:
    """Make the conversation's messages ``wanted`` (with their
    :func:`~convstore.validation.message_fingerprint`\\ s), writing only what
    differs from what it holds: appended messages are appended; messages
    changed in place (same count) are replaced, keeping their seqs; messages
    removed from the middle are deleted; anything else replaces the messages
    after the longest unchanged start. Runs in the caller's transaction,
    which holds the conversation's lock."""
    stored = store.get_message_fingerprints(conversation_id)
    same = [_unchanged(s, w, f) for s, w, f in zip(stored, wanted, fingerprints, strict=False)]
    start = same.index(False) if False in same else len(same)
    if start == len(stored) == len(wanted):
        return
    if len(stored) == len(wanted):
        for seq, message, unchanged in zip((s["seq"] for s in stored), wanted, same, strict=False):
            if not unchanged:
                store.replace_message(conversation_id, seq, message)
        return
    end = _common_end(stored[start:], wanted[start:], fingerprints[start:])
    if start + end == len(wanted):
        removed = [s["seq"] for s in stored[start : len(stored) - end]]
        store.delete_messages(conversation_id, seqs=removed)
        return
    if start < len(stored):
        store.delete_messages(conversation_id, after_seq=stored[start - 1]["seq"] if start else 0)
    store.add_messages(conversation_id, list(wanted[start:]))


def unique_keys(messages: list[NewMessage]) -> list[NewMessage]:
    """``messages`` with the idempotency key of every message whose id an
    earlier one has already taken dropped (a list not built by
    ``add_messages`` may repeat ids; a conversation's keys are unique)."""
    seen: set[str] = set()
    for message in messages:
        key = message.get("idempotency_key")
        if key is None:
            continue
        if key in seen:
            del message["idempotency_key"]
        seen.add(key)
    return messages


def fingerprints_of(messages: Sequence[NewMessage], store: Store) -> list[str]:
    """Each message's fingerprint, as the store computes it."""
    return [message_fingerprint(message, store.limits) for message in messages]


def _unchanged(stored: MessageFingerprint, wanted: NewMessage, fingerprint: str) -> bool:
    return (
        stored["fingerprint"] == fingerprint
        and stored["tokens"] == wanted.get("tokens")
        and stored["pinned"] == wanted.get("pinned", False)
        and stored["idempotency_key"] == wanted.get("idempotency_key")
    )


def _common_end(
    stored: Sequence[MessageFingerprint], wanted: Sequence[NewMessage], fingerprints: Sequence[str]
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
