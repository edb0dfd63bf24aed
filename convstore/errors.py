"""The errors convstore raises: one hierarchy rooted in :class:`ConvstoreError`.

Every error leaves the database as it was before the failed call. Driver errors
(psycopg, sqlite3) are translated at the edge of the query runner and chained,
so ``err.__cause__`` holds the original.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "ConversationExists",
    "ConvstoreError",
    "DatabaseError",
    "DatabaseUnavailable",
    "DuplicateIdempotencyKey",
    "InvalidInput",
    "ModelError",
    "NotFound",
    "OutcomeUnknown",
    "QueryFileError",
    "ReadOnlyDatabase",
    "SchemaNotMigrated",
    "SchemaTooNew",
]


class ConvstoreError(Exception):
    """Base of every error convstore raises."""

    retryable: bool = False
    """True when repeating the same call is safe and may succeed: nothing was
    written, or what was written is recognised by the retry:
    :class:`DatabaseUnavailable`, and a :class:`ModelError` that a later call
    may not meet (a timeout, a rate limit, a server error)."""


class NotFound(ConvstoreError, LookupError):
    """The conversation does not exist (or belongs to another user)."""


class InvalidInput(ConvstoreError, ValueError):
    """An argument was rejected before anything was written; the message says which."""


class BranchConflict(InvalidInput):
    """The call would change or delete history that branches share: a
    message a branch of the conversation shares, a branch's message that is
    its parent's, or a conversation that has branches. Shared history is
    never changed in place: ``edit_message`` forks instead. Nothing was written."""


class ConversationExists(InvalidInput):
    """A conversation with the id a call chose exists already (for
    ``ensure_conversation``: and belongs to another user). Nothing was written."""


class ConfigurationError(ConvstoreError, ValueError):
    """A database URL or setting convstore cannot use."""


class SchemaNotMigrated(ConvstoreError):
    """The database lacks convstore's tables or has migrations pending."""


class SchemaTooNew(SchemaNotMigrated):
    """The database was migrated by a newer convstore: it records migrations
    this version does not know. Upgrade convstore; this version refuses to
    open, migrate or roll it back."""


class DatabaseUnavailable(ConvstoreError):
    """The database could not be reached or was busy; retrying later may succeed."""

    retryable = True


class OutcomeUnknown(ConvstoreError):
    """The connection was lost after a write was sent: the server may or may
    not have committed it, and a retry could store it twice, so it is not
    ``retryable``. Read back to check, or retry with an idempotency key: an
    append whose messages all carry one raises :class:`DatabaseUnavailable`
    instead, since repeating it is safe."""


class DatabaseError(ConvstoreError):
    """The database rejected a statement for a reason not covered above."""


class ReadOnlyDatabase(DatabaseError):
    """The database was opened read-only (the file, its directory or its mount
    is not writable): reads work, every write is refused. Not retryable."""


class DuplicateIdempotencyKey(ConvstoreError):
    """Another append with the same idempotency key was stored first (a race
    between two copies of one request). The Store answers it by returning the
    stored message; it reaches callers only of the raw queries."""


class QueryFileError(ConvstoreError):
    """A ``.sql`` file could not be parsed; the message names the file and line."""


class ModelError(ConvstoreError):
    """The model API call of :class:`convstore.agent.PersistentAgent` failed
    (after the client's own retries). The user message stays stored and no
    reply is; ``__cause__`` is the OpenAI error. Retry by calling ``chat``
    again with the same ``request_id``."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable
