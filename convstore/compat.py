"""The original tutorial's class names, on top of :class:`~convstore.store.Store`.

Code written against the tutorial's ``SQLiteConversationStore(db_path)`` and
``PostgresConversationStore(connection_string)`` keeps working: both set up the
schema on construction, as the tutorial's classes did, and offer the Store's
methods (``create_conversation``, ``add_message(..., tokens=, latency_ms=)``,
``get_messages``, ``get_recent_context`` and the rest) with the same arguments.
"""

from __future__ import annotations

import os

from .connect import connect
from .errors import ConfigurationError
from .store.store import Store
from .urls import DatabaseURL


class SQLiteConversationStore(Store):
    """A store on the SQLite file ``db_path``, migrated if needed."""

    def __init__(self, db_path: str | os.PathLike[str] = "conversations.db") -> None:
        """:raises ConfigurationError: if ``db_path`` is not a path."""
        if not isinstance(db_path, (str, os.PathLike)):
            raise ConfigurationError(f"db_path must be a path, not {type(db_path).__name__}")
        self.db_path = db_path
        url = DatabaseURL.of_sqlite_file(os.fspath(db_path))
        super().__init__(connect(url, migrate=True).database)


class PostgresConversationStore(Store):
    """A store on the PostgreSQL database at ``connection_string``, migrated if needed."""

    def __init__(self, connection_string: str) -> None:
        self.connection_string = connection_string
        super().__init__(connect(connection_string, migrate=True).database)
