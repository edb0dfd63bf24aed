"""The public API: :class:`Store`, the same on SQLite and PostgreSQL, and its\nasync twin :class:`AsyncStore`."""

from .async_store import AsyncStore
from .store import Conversation, Message, Store

__all__ = ["AsyncStore", "Conversation", "Message", "Store"]
