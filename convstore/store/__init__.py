"""The public API: :class:`Store`, the same on SQLite and PostgreSQL."""

from .store import Store

__all__ = ["Store"]
