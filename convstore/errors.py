"""The errors convstore raises: one hierarchy rooted in :class:`ConvstoreError`.

Every error leaves the database as it was before the failed call. Driver errors
(psycopg, sqlite3) are translated at the edge of the query runner and chained,
so ``err.__cause__`` holds the original.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "ConvstoreError",
    "DatabaseError",
    "DatabaseUnavailable",
    "DuplicateIdempotencyKey",
    "InvalidInput",
    "NotFound",
    "QueryFileError",
    "SchemaNotMigrated",
]


class ConvstoreError(Exception):
    """Base of every error convstore raises."""

    retryable: bool = False
    """True when the same call may succeed if repeated (nothing was written)."""


class NotFound(ConvstoreError, LookupError):
    """The conversation does not exist (or belongs to another user)."""


class InvalidInput(ConvstoreError, ValueError):
    """An argument was rejected before anything was written; the message says which."""


class ConfigurationError(ConvstoreError, ValueError):
    """A database URL or setting convstore cannot use."""


class SchemaNotMigrated(ConvstoreError):
    """The database lacks convstore's tables or has migrations pending."""


class DatabaseUnavailable(ConvstoreError):
    """The database could not be reached or was busy; retrying later may succeed."""

    retryable = True


class DatabaseError(ConvstoreError):
    """The database rejected a statement for a reason not covered above."""


class DuplicateIdempotencyKey(ConvstoreError):
    """Another append with the same idempotency key was stored first (a race
    between two copies of one request). The Store answers it by returning the
    stored message; it reaches callers only of the raw queries."""


class QueryFileError(ConvstoreError):
    """A ``.sql`` file could not be parsed; the message names the file and line."""
