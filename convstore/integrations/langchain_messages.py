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

The mirror never fails a graph step over what a message holds (the
checkpoint keeps every message exactly): a NUL character or a lone surrogate,
which PostgreSQL cannot store in text, becomes U+FFFD; text over the store's
:class:`~convstore.Limits` is cut to fit, and the message's metadata says
``"truncated": true``; an id too long for an idempotency key, or a token
count out of range, is left out.
"""

from __future__ import annotations

import json
import re
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
from ..validation import MAX_INTEGER, ROLES, Limits, message_fingerprint

REPLACEMENT = "\ufffd"
"""What a character PostgreSQL text cannot hold becomes in the mirror."""

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL, and the surrogates a well-formed string holds only in pairs (which
Python keeps apart, so any one found here is alone)."""


def is_message_list(value: Any) -> bool:
    """Whether a channel's value is a list of LangChain messages (what the mirror reflects)."""
    return isinstance(value, list) and all(isinstance(item, BaseMessage) for item in value)


def new_message(message: BaseMessage, limits: Limits) -> NewMessage:
    """The convstore message a LangChain message is mirrored as (see the
    module's docstring), within ``limits``."""
    fit = _Fitting(limits)
    role, pinned = _role(message)
    text = fit.text(_text(message.content))
    mirrored = NewMessage(role=role, content=text, pinned=pinned)
    calls = message.tool_calls if isinstance(message, AIMessage) else []
    if calls:
        mirrored["tool_calls"] = fit.tool_calls(
            [_tool_call(call, index) for index, call in enumerate(calls)]
        )
        mirrored["content"] = text or None
    if isinstance(message, ToolMessage):
        mirrored["tool_call_id"] = fit.text(message.tool_call_id)
    if message.name:
        mirrored["name"] = fit.text(message.name)
    usage = getattr(message, "usage_metadata", None) or {}
    tokens = usage.get("output_tokens")
    if isinstance(tokens, int) and not isinstance(tokens, bool) and 0 <= tokens <= MAX_INTEGER:
        mirrored["tokens"] = tokens
    metadata: dict[str, Any] = {"langchain_type": fit.text(message.type)}
    model = message.response_metadata.get("model_name")
    if isinstance(model, str):
        metadata["model"] = fit.text(model)
    if fit.truncated:
        metadata["truncated"] = True
    mirrored["metadata"] = metadata
    key = _key(message, limits)
    if key is not None:
        mirrored["idempotency_key"] = key
    return mirrored


def _key(message: BaseMessage, limits: Limits) -> str | None:
    """The message's id as an idempotency key, if it can be one."""
    key = clean(message.id or "")
    return key if key and len(key.encode("utf-8")) <= limits.max_identifier_bytes else None


def clean(text: str) -> str:
    """``text`` with what PostgreSQL text cannot hold replaced by U+FFFD."""
    return UNSTORABLE.sub(REPLACEMENT, text)


class _Fitting:
    """Fits a message's text into the store's limits, noting any cut."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.truncated = False

    def text(self, text: str, max_bytes: int | None = None) -> str:
        """``text`` cleaned and cut to ``max_bytes`` of UTF-8 (default: the text limit)."""
        cleaned = clean(text)
        encoded = cleaned.encode("utf-8")
        limit = self.limits.max_text_bytes if max_bytes is None else max_bytes
        if len(encoded) <= limit:
            return cleaned
        self.truncated = True
        return encoded[:limit].decode("utf-8", errors="ignore")

    def tool_calls(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The calls, each one's arguments (and a long name or id) cut by
        half until the whole fits the JSON limit (calls so many that even
        empty they do not fit stay over it, and the store refuses them)."""
        share = self.limits.max_json_bytes
        while (
            len(json.dumps(calls, ensure_ascii=False).encode("utf-8")) > self.limits.max_json_bytes
        ):
            share //= 2
            for call in calls:
                function = call["function"]
                function["arguments"] = self.text(function["arguments"], share)
                function["name"] = self.text(function["name"], min(share, 256))
                call["id"] = self.text(call["id"], min(share, 256)) or "call"
        return calls


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
    writing only what differs: messages whose ids are gone are deleted; the
    longest unchanged start stays; after it, messages changed in place (the
    same ids at the same places) are replaced, keeping their seqs, and
    anything else is replaced by the new messages. So an appended message
    is one insert, an ``add_messages`` edit one replacement, a
    ``RemoveMessage`` (trimming the oldest, say) one deletion.

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
    taken = {key for m in messages[:start] if (key := _key(m, store.limits)) is not None}
    wanted = _unique_keys([new_message(m, store.limits) for m in messages[start:]], taken)
    fingerprints = [message_fingerprint(message, store.limits) for message in wanted]
    _write_difference(store, conversation_id, stored, wanted, fingerprints)


def _write_difference(
    store: Store,
    conversation_id: str,
    stored: Sequence[Mapping[str, Any]],
    wanted: Sequence[NewMessage],
    fingerprints: Sequence[str],
) -> None:
    """Turn the ``stored`` messages (their seqs, keys and fingerprints) into ``wanted``."""
    wanted_keys = {message.get("idempotency_key") for message in wanted} - {None}
    gone = [old for old in stored if old["idempotency_key"] not in wanted_keys | {None}]
    remaining = [old for old in stored if old not in gone]
    same = [_unchanged(s, w, f) for s, w, f in zip(remaining, wanted, fingerprints, strict=False)]
    start = same.index(False) if False in same else len(same)
    in_place = len(remaining) == len(wanted) and all(
        old["idempotency_key"] == message.get("idempotency_key")
        for old, message in zip(remaining[start:], wanted[start:], strict=True)
    )
    replaced = [] if in_place else remaining[start:]
    if gone or replaced:
        store.delete_messages(conversation_id, seqs=[old["seq"] for old in gone + replaced])
    if in_place:
        for old, message, unchanged in zip(remaining, wanted, same, strict=True):
            if not unchanged:
                store.replace_message(conversation_id, old["seq"], message)
    elif start < len(wanted):
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
        "tokens_estimated": message["tokens_estimated"],
        "pinned": message["pinned"],
        "idempotency_key": message["idempotency_key"],
    }


def _unchanged(stored: Mapping[str, Any], wanted: NewMessage, fingerprint: str) -> bool:
    return (
        stored["fingerprint"] == fingerprint
        and (
            stored["tokens"] == wanted.get("tokens")
            or (stored["tokens_estimated"] and wanted.get("tokens") is None)
        )
        and stored["pinned"] == wanted.get("pinned", False)
        and stored["idempotency_key"] == wanted.get("idempotency_key")
    )


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
        return clean(content)
    parts = [
        block if isinstance(block, str) else block.get("text", "")
        for block in content
        if isinstance(block, str) or (isinstance(block, dict) and block.get("type") == "text")
    ]
    return clean("".join(part for part in parts if isinstance(part, str)))


def _tool_call(call: Any, index: int) -> dict[str, Any]:
    """A LangChain ``ToolCall`` in the OpenAI form; a call without an id
    (which the Chat Completions API would refuse) is named by its position."""
    arguments = json.dumps(call.get("args") or {}, ensure_ascii=False, default=str)
    return {
        "id": clean(call.get("id") or f"call_{index}"),
        "type": "function",
        "function": {"name": clean(call.get("name") or ""), "arguments": clean(arguments)},
    }
