"""pydantic-ai message histories stored by convstore (the extra ``pydantic-ai``).

:class:`PydanticAIHistory` keeps a history of ``ModelMessage``s as one
convstore conversation: each ``ModelRequest`` or ``ModelResponse`` is one
message whose ``payload`` is the message as pydantic-ai's own
``ModelMessagesTypeAdapter`` dumps it (JSON mode), so a load validates back
exactly what was added (pydantic-ai 2.68). The rest of the message makes it
readable by convstore:

- ``kind`` is ``pydantic_ai.request`` or ``pydantic_ai.response``: items that
  are not chat messages, so convstore's own agent never sends them and a
  JSONL export keeps them under ``"convstore"``'s ``"items"``;
- ``role`` is ``assistant`` for a response; for a request ``tool`` when it
  returns a tool's result (a ``tool-return`` part, or a ``retry-prompt`` part
  for a tool), ``system`` when it holds only system prompts, else ``user``;
- ``content`` is its text parts (prompts, text, tool results given as text),
  one a line, for search and reading;
- ``tokens`` is a response's ``usage.output_tokens`` (a request has none: the
  store keeps its estimate from ``content``), and a request with a system
  prompt is pinned, so every budgeted load keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
)

from ..errors import InvalidInput, NotFound
from ..store.async_store import AsyncStore
from ..types import Message

KIND_PREFIX = "pydantic_ai."
"""The start of the ``kind`` of a stored pydantic-ai message; ``request`` or
``response`` (its own ``kind``) follows."""

TOOL_RESULT_PARTS = ("tool-return", "builtin-tool-return")


class PydanticAIHistory:
    """The message history of one pydantic-ai conversation, in the convstore
    conversation ``conversation_id`` names (a UUID or a name).

    ``store`` is a :class:`~convstore.AsyncStore` (or a view of it, whose user
    owns the history); ``user_id`` is the owner on a plain store. The
    conversation is created when messages are first added.

    :raises convstore.InvalidInput: (from the methods) for an id that is not a
        conversation id or name, or a message convstore cannot store.
    :raises convstore.ConversationExists: (from ``add``) if another user owns
        the conversation of that id.
    """

    def __init__(self, conversation_id: str, store: AsyncStore, user_id: str | None = None) -> None:
        self.conversation_id = conversation_id
        self.store = store
        self.user_id = user_id

    async def add(self, messages: Sequence[ModelMessage]) -> None:
        """Append ``messages`` (say ``result.new_messages()``) in order, all or
        none (one statement), creating the conversation when it does not exist
        (also again, after it was deleted).

        :raises convstore.InvalidInput: for an entry that is not a
            ``ModelRequest`` or ``ModelResponse``.
        """
        if not messages:
            return
        for message in messages:
            if not isinstance(message, (ModelRequest, ModelResponse)):
                raise InvalidInput(
                    f"a history holds ModelRequest and ModelResponse, not {message!r:.80}"
                )
        dumped = ModelMessagesTypeAdapter.dump_python(list(messages), mode="json")
        stored = [_stored(m) for m in dumped]
        try:
            await self.store.add_messages(self.conversation_id, stored)
        except NotFound:
            await self.store.ensure_conversation(self.conversation_id, self.user_id)
            await self.store.add_messages(self.conversation_id, stored)

    async def load(self, max_tokens: int | None = None) -> list[ModelMessage]:
        """The history, oldest first, to pass to ``agent.run(...,
        message_history=...)``: all of it, or with ``max_tokens`` the pinned
        requests (those with a system prompt) and the newest messages that fit
        the token budget (``Store.get_recent_context``), never starting on a
        request that returns a tool's result without the response that called
        the tool. Messages of this conversation written otherwise (by
        convstore's chat API) are left out."""
        stored: Sequence[Message] = (
            await self.store.get_messages(self.conversation_id, limit=None)
            if max_tokens is None
            else await self.store.get_recent_context(self.conversation_id, max_tokens)
        )
        payloads = [m["payload"] for m in stored if m["kind"].startswith(KIND_PREFIX)]
        return ModelMessagesTypeAdapter.validate_python(payloads)

    async def clear(self) -> None:
        """Remove every message; the conversation stays, empty."""
        await self.store.delete_messages(self.conversation_id)


def _stored(message: Mapping[str, Any]) -> dict[str, Any]:
    """The convstore message that stores a dumped pydantic-ai ``message``."""
    parts = message["parts"]
    kinds = {part["part_kind"] for part in parts}
    if message["kind"] == "response":
        role = "assistant"
    elif kinds & {*TOOL_RESULT_PARTS} or any(
        part["part_kind"] == "retry-prompt" and part.get("tool_name") for part in parts
    ):
        role = "tool"
    elif kinds == {"system-prompt"}:
        role = "system"
    else:
        role = "user"
    usage = message.get("usage") or {}
    texts = [_text(part.get("content")) for part in parts if part["part_kind"] != "tool-call"]
    return {
        "role": role,
        "content": "\n".join(text for text in texts if text) or None,
        "tokens": usage.get("output_tokens") if message["kind"] == "response" else None,
        "pinned": "system-prompt" in kinds,
        "kind": f"{KIND_PREFIX}{message['kind']}",
        "payload": dict(message),
    }


def _text(content: Any) -> str | None:
    """A part's text: its content when that is text, or the text items of a
    multimodal prompt."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(item for item in content if isinstance(item, str)) or None
    return None
