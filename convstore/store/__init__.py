"""The public API: :class:`Store`, the same on SQLite and PostgreSQL."""

from .store import Conversation, Message, Store

__all__ = ["Conversation", "Message", "Store"]
