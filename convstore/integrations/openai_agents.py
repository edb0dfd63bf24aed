"""OpenAI Agents SDK sessions stored by convstore (the extra ``openai-agents``).

:class:`ConvstoreSession` implements the SDK's ``Session`` protocol
(``agents/memory/session.py``, openai-agents 0.24: ``session_id``,
``session_settings``, ``get_items(limit)``, ``add_items``, ``pop_item``,
``clear_session``), which third-party sessions implement rather than
``SessionABC``. A session is one convstore conversation: the session id is
its name (:func:`convstore.validation.conversation_id`), so the same id
reaches the same conversation from any process, and its items are convstore
messages that search, the token budget, statistics and exports see.

Each item is stored as one message, the item itself as its ``payload``
(returned exactly: the SDK's own ``SQLiteSession`` keeps the JSON text):

- ``kind`` is the item's ``type`` (``"message"`` for an input message
  without one, such as ``{"role": "user", "content": "Hi"}``): ``message``,
  ``function_call``, ``function_call_output``, ``reasoning`` ...;
- ``role`` is the item's own, or ``tool`` for a tool's output (a type ending
  in ``_output``) and ``assistant`` for the rest, which the model produced;
- ``content`` is the item's text, for search and the reader: a message's text
  parts (or ``""``), a reasoning item's summary, a tool output's text; else none.

Item ids are not used as idempotency keys: the SDK gives every item of the
Chat Completions path the id ``__fake_id__`` (../shared/INTEGRATIONS.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agents.items import TResponseInputItem
from agents.memory import SessionSettings
from agents.memory.session_settings import resolve_session_limit

from ..errors import InvalidInput, NotFound
from ..store.async_store import AsyncStore
from ..types import Message

OUTPUT_SUFFIX = "_output"
"""The end of the ``type`` of an item that carries a tool's output
(``function_call_output``, ``computer_call_output``, ``local_shell_call_output`` ...)."""


class ConvstoreSession:
    """The items of one Agents SDK session, as messages of the convstore
    conversation that ``session_id`` names.

    ``store`` is a :class:`~convstore.AsyncStore` (or a view of it, whose user
    owns the session); ``user_id`` is the owner on a plain store. The
    conversation is created, owned by that user, when the first items are
    added. Every method is safe to call concurrently, from any number of
    sessions and processes: each is one transaction of the store.

    :raises convstore.InvalidInput: (from the methods) for a session id that
        is not a conversation id or name, or an item convstore cannot store.
    :raises convstore.ConversationExists: (from ``add_items``) if another user
        owns the conversation of that id.
    """

    def __init__(
        self,
        session_id: str,
        store: AsyncStore,
        user_id: str | None = None,
        *,
        session_settings: SessionSettings | None = None,
    ) -> None:
        self.session_id = session_id
        self.session_settings = session_settings
        self.store = store
        self.user_id = user_id

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """The newest ``limit`` items, oldest first; all when ``limit`` and
        ``session_settings.limit`` are ``None`` or ``limit`` is negative, none
        when it is 0 (the rules of the SDK's ``SQLiteSession``). A limited
        read leaves out what the Responses API rejects without an item it
        leaves out -- a tool's output without its call, or the item a
        reasoning item belongs to (the one right after it) without the
        reasoning item -- so it may return fewer."""
        newest = resolve_session_limit(limit, self.session_settings)
        if newest is not None and newest < 0:
            newest = None
        if newest == 0:
            return []
        window = None if newest is None else newest + 1  # and the item before it
        messages = await self.store.get_messages(self.session_id, limit=window)
        items = [item for message in messages for item in _items_of(message)]
        if newest is None:
            return items
        before, items = items[:-newest], items[-newest:]
        left_out = before[-1] if before else None
        while items and (_type(items[0]).endswith(OUTPUT_SUFFIX) or _type(left_out) == "reasoning"):
            left_out = items.pop(0)
        calls = {item.get("call_id") for item in items if not _type(item).endswith(OUTPUT_SUFFIX)}
        return [
            item
            for item in items
            if not _type(item).endswith(OUTPUT_SUFFIX) or item.get("call_id") in calls
        ]

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Append ``items`` in order, all or none (one statement), creating
        the conversation when it does not exist (also again, after it was
        deleted).

        :raises convstore.InvalidInput: for an item that is not a mapping.
        """
        if not items:
            return
        messages = [_message_of(item) for item in items]
        try:
            await self.store.add_messages(self.session_id, messages)
        except NotFound:
            await self.store.ensure_conversation(self.session_id, self.user_id)
            await self.store.add_messages(self.session_id, messages)

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the newest item; ``None`` if there is none. (A
        message written by convstore's chat API, which stands for several
        items, goes whole; its last item is returned.)"""
        popped = await self.store.pop_message(self.session_id)
        return None if popped is None else _items_of(popped)[-1]

    async def clear_session(self) -> None:
        """Remove every item; the conversation stays, empty."""
        await self.store.delete_messages(self.session_id)


def _type(item: Mapping[str, Any] | None) -> str:
    return "" if item is None else str(item.get("type") or "message")


def _message_of(item: Mapping[str, Any]) -> dict[str, Any]:
    """The convstore message that stores ``item`` (the module docstring's rules)."""
    if not isinstance(item, Mapping):
        raise InvalidInput(f"an item is a mapping (a Responses-API input item), not {item!r:.80}")
    kind = _type(item)
    role = item.get("role") or ("tool" if kind.endswith(OUTPUT_SUFFIX) else "assistant")
    text = _text_of(item)
    return {
        "role": role,
        "content": "" if text is None and kind == "message" else text,
        "kind": kind,
        "payload": dict(item),
    }


def _text_of(item: Mapping[str, Any]) -> str | None:
    """An item's readable text: a string content or output, or the text parts
    of a content list or a reasoning summary, one a line."""
    for field in ("content", "output", "summary"):
        value = item.get(field)
        if isinstance(value, str):
            return value
        if isinstance(value, Sequence) and value:
            parts = [part.get("text") for part in value if isinstance(part, Mapping)]
            texts = [text for text in parts if isinstance(text, str)]
            if texts:
                return "\n".join(texts)
    return None


def _items_of(message: Message) -> list[TResponseInputItem]:
    """The item a message stores; for a message written without one (by
    convstore's chat API or agent), the input items its chat fields make: a
    tool result's ``function_call_output``, an assistant's text and each of its
    tool calls as a ``function_call``, another message's role and text."""
    if message["payload"] is not None:
        return [message["payload"]]
    if message["role"] == "tool":
        output = {
            "type": "function_call_output",
            "call_id": message["tool_call_id"] or "",
            "output": message["content"] or "",
        }
        return [output]  # type: ignore[list-item]
    said = {"role": message["role"], "content": message["content"] or ""}
    calls = [
        {
            "type": "function_call",
            "call_id": call.get("id", ""),
            "name": call.get("function", {}).get("name", ""),
            "arguments": call.get("function", {}).get("arguments", "{}"),
        }
        for call in message["tool_calls"] or []
    ]
    return [*([said] if message["content"] or not calls else []), *calls]  # type: ignore[list-item]
