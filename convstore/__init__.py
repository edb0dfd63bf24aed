"""convstore: durable conversation storage for LLM agents, on SQLite and PostgreSQL.

Example::

    import convstore
    with convstore.connect() as store:          # sqlite:///conversations.db by default
        cid = store.create_conversation("alice", title="Trip")
        store.add_message(cid, "user", "Hello", tokens=2)
        store.get_recent_context(cid, max_tokens=4000)
"""

from . import errors, queries
from .compat import PostgresConversationStore, SQLiteConversationStore
from .connect import connect, connect_async
from .db.base import PoolOptions
from .distribute import distribute
from .errors import (
    BranchConflict,
    ConfigurationError,
    ConversationExists,
    ConvstoreError,
    DatabaseError,
    DatabaseUnavailable,
    DuplicateIdempotencyKey,
    InvalidInput,
    ModelError,
    NotFound,
    OutcomeUnknown,
    ReadOnlyDatabase,
    SchemaNotMigrated,
    SchemaTooNew,
)
from .migrate import migrate, pending_migrations, rollback
from .store.async_store import AsyncStore
from .store.store import Store
from .types import UNCHANGED
from .urls import DatabaseURL
from .validation import CONVERSATION_NAMESPACE, Limits, message_fingerprint

__all__ = [
    "CONVERSATION_NAMESPACE",
    "UNCHANGED",
    "AsyncStore",
    "BranchConflict",
    "ConfigurationError",
    "ConversationExists",
    "ConvstoreError",
    "DatabaseError",
    "DatabaseURL",
    "DatabaseUnavailable",
    "DuplicateIdempotencyKey",
    "InvalidInput",
    "Limits",
    "ModelError",
    "NotFound",
    "OutcomeUnknown",
    "PoolOptions",
    "PostgresConversationStore",
    "ReadOnlyDatabase",
    "SQLiteConversationStore",
    "SchemaNotMigrated",
    "SchemaTooNew",
    "Store",
    "connect",
    "connect_async",
    "distribute",
    "errors",
    "message_fingerprint",
    "migrate",
    "pending_migrations",
    "queries",
    "rollback",
]
