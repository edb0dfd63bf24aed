"""PostgreSQL errors as convstore errors, decided by SQLSTATE in one table.

``retryable`` must mean that repeating the same call can succeed, so only
errors that leave nothing done and can pass are mapped to
:class:`~convstore.errors.DatabaseUnavailable`: a lost or refused connection,
a transaction the server rolled back (serialization failure, deadlock), a lock
or statement timeout, a server shutting down or out of connection slots.
Values the server cannot hold (data exceptions, constraint violations, program
limits such as an index row or a tsvector over its size) are
:class:`~convstore.errors.InvalidInput`; credentials, a missing database and
unknown settings are :class:`~convstore.errors.ConfigurationError`; anything
else (a missing privilege or a row-level security policy included) is
:class:`~convstore.errors.DatabaseError`. Neither is retryable.

Codes and classes: PostgreSQL's documentation, Appendix A "PostgreSQL Error Codes".
"""

from __future__ import annotations

import psycopg

from ..errors import (
    ConfigurationError,
    ConvstoreError,
    DatabaseError,
    DatabaseUnavailable,
    InvalidInput,
    ReadOnlyDatabase,
    SchemaNotMigrated,
)

_BY_CODE: dict[str, tuple[type[ConvstoreError], str]] = {
    "40001": (DatabaseUnavailable, "the transaction was rolled back (serialization failure)"),
    "40P01": (DatabaseUnavailable, "the transaction was rolled back (deadlock)"),
    "55P03": (DatabaseUnavailable, "a lock was not available in time"),
    "57014": (DatabaseUnavailable, "the statement was cancelled (statement_timeout)"),
    "57P01": (DatabaseUnavailable, "the server ended the session (shutdown)"),
    "57P02": (DatabaseUnavailable, "the server ended the session (crash shutdown)"),
    "57P03": (DatabaseUnavailable, "the server cannot accept connections yet"),
    "53300": (DatabaseUnavailable, "the server has no free connection slot"),
    "25006": (ReadOnlyDatabase, "the transaction or the server is read-only"),
    "42P01": (SchemaNotMigrated, "run `convstore migrate` (or `make migrate`)"),
    "42703": (SchemaNotMigrated, "run `convstore migrate` (or `make migrate`)"),
    "42883": (SchemaNotMigrated, "run `convstore migrate` (or `make migrate`)"),
    "42501": (
        DatabaseError,
        "not permitted (a privilege the role lacks, or a row-level security policy)",
    ),
    "42704": (ConfigurationError, "a setting names something the server does not have"),
}

_BY_CLASS: dict[str, tuple[type[ConvstoreError], str]] = {
    "08": (DatabaseUnavailable, "the connection failed"),
    "22": (InvalidInput, "the database rejected the values"),
    "23": (InvalidInput, "the database rejected the values"),
    "28": (ConfigurationError, "the server refused the credentials"),
    "3D": (ConfigurationError, "the database does not exist"),
    "40": (DatabaseUnavailable, "the transaction was rolled back"),
    "53": (DatabaseError, "the server is out of a resource (disk, memory)"),
    "54": (InvalidInput, "a value is over a limit of the server"),
    "F0": (ConfigurationError, "the server's configuration is wrong"),
}


def convstore_error(error: psycopg.Error) -> ConvstoreError:
    """The convstore error for a psycopg error (not yet chained: raise it
    ``from error``). An error without a SQLSTATE is a lost or refused
    connection, and so retryable."""
    code = error.sqlstate
    if code is None:
        if isinstance(error, psycopg.OperationalError):
            return DatabaseUnavailable(f"PostgreSQL: {error}")
        return DatabaseError(f"PostgreSQL: {error}")
    kind, meaning = _BY_CODE.get(code) or _BY_CLASS.get(code[:2]) or (DatabaseError, "failed")
    detail = error.diag.message_primary or str(error)
    return kind(f"PostgreSQL: {meaning}: {detail} (SQLSTATE {code})")
