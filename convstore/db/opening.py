"""Opening a database: how a SQLite file may be opened, and what a failure to
open one means, as a :mod:`convstore.errors` type whose message says what to do.

Shared by the migrations (``convstore.migrate``) and the SQLite store
(``convstore.db.sqlite``), so both open a file the same way and report its
failures alike.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass

import psycopg

from ..errors import (
    ConfigurationError,
    ConvstoreError,
    DatabaseError,
    DatabaseUnavailable,
    ReadOnlyDatabase,
    SchemaNotMigrated,
)
from ..urls import DatabaseURL, redact, sqlite_uri
from . import sql_functions
from .sqlstates import convstore_error

# libpq and the server report connection failures as text only (no SQLSTATE
# reaches psycopg): these fragments mark the failures a retry cannot fix.
_PERMANENT_CONNECTION_FAILURES = (
    "does not exist",  # database or role
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "pg_hba.conf",
    "not permitted to log in",
    "permission denied",
    "failed to resolve host",  # psycopg's own resolution
    "could not translate host name",  # libpq's
    "invalid",  # a malformed option ("invalid integer value ... for connection option")
)
_TRANSIENT_RESOLUTION = "temporary failure in name resolution"


@dataclass(frozen=True)
class SQLiteFile:
    """A SQLite database file and how it may be opened."""

    path: str
    exists: bool
    read_only_reason: str | None
    """Why only reading is possible (``None`` when the file may be written)."""

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    def uri(self, *, read_only: bool = False) -> str:
        """The ``file:`` URI to open it with (``sqlite3.connect(uri, uri=True)``).

        Read-only when the file is, or when ``read_only`` asks for it. A WAL
        database needs its ``-shm`` file even to be read; in a directory where
        that cannot be created and with no ``-wal`` file left behind (so no
        committed change lives outside the main file), the file is opened
        ``immutable``: SQLite then takes no locks, so if someone else with write
        access changes it meanwhile, reads may see stale pages or fail.
        """
        if not (read_only or self.read_only):
            return sqlite_uri(self.path)
        immutable = (
            self.exists
            and not _writable(_directory(self.path))
            and not _has_content(self.path + "-wal")
        )
        return sqlite_uri(self.path, read_only=True, immutable=immutable)

    def connect(self, busy_timeout: float, *, read_only: bool = False) -> sqlite3.Connection:
        """A connection in autocommit mode (convstore's transactions are
        explicit), usable from any thread but by one at a time, waiting up to
        ``busy_timeout`` seconds for another connection's lock.

        :raises sqlite3.Error: if SQLite cannot open it.
        """
        connection = sqlite3.connect(
            self.uri(read_only=read_only),
            uri=True,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        sql_functions.register(connection)
        return connection


def sqlite_file(path: str) -> SQLiteFile:
    """Look at ``path`` before opening it: does its directory exist, may the
    file be created or written?

    :raises ConfigurationError: if the directory does not exist, the path is a
        directory or a name the file system cannot hold, or the file does not
        exist and cannot be created there.
    """
    try:
        os.stat(path)
    except FileNotFoundError:
        pass
    except OSError as error:  # ENAMETOOLONG, ELOOP, ENOTDIR ...: no retry will fix it
        raise ConfigurationError(
            f"cannot open the SQLite database {path[:80]!r}: {error.strerror}"
        ) from None
    directory = _directory(path)
    if not os.path.isdir(directory):
        raise ConfigurationError(
            f"cannot open the SQLite database {path!r}: the directory {directory!r} "
            "does not exist; create it, or correct the URL"
        )
    if os.path.isdir(path):
        raise ConfigurationError(
            f"cannot open the SQLite database {path!r}: it is a directory; name a file in it"
        )
    exists = os.path.exists(path)
    directory_writable = _writable(directory)
    if not exists:
        if not directory_writable:
            raise ConfigurationError(
                f"cannot create the SQLite database {path!r}: its directory {directory!r} "
                "is not writable (or is on a read-only mount)"
            )
        return SQLiteFile(path, exists=False, read_only_reason=None)
    if not _writable(path):
        reason = "the file is not writable (permissions, or a read-only mount)"
    elif not directory_writable:
        reason = (
            f"its directory {directory!r} is not writable, and SQLite must create its "
            "-wal, -shm and -journal files there to write"
        )
    else:
        reason = None
    return SQLiteFile(path, exists=True, read_only_reason=reason)


def sqlite_error(
    error: sqlite3.Error, path: str, *, busy_timeout: float | None = None
) -> ConvstoreError:
    """The convstore error for a sqlite3 error met while opening, checking or
    migrating the database at ``path``."""
    message = str(error)
    lowered = message.lower()
    if "locked" in lowered or "busy" in lowered:
        waited = f" for over {busy_timeout:g}s" if busy_timeout is not None else ""
        return DatabaseUnavailable(
            f"SQLite {path!r}: another connection held the write lock{waited} ({message}); "
            "retry later, or find the process keeping a long write transaction open"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return ReadOnlyDatabase(
            f"SQLite {path!r} is read-only ({message}): it may be read, not written or "
            "migrated; open it where the file and its directory are writable"
        )
    if "not a database" in lowered or "malformed" in lowered:
        return ConfigurationError(
            f"{path!r} is not a usable SQLite database ({message}); check the URL"
        )
    if "unable to open" in lowered:
        try:
            sqlite_file(path)  # names the cause when it is the directory or a permission
        except ConfigurationError as cause:
            return cause
        return DatabaseUnavailable(f"SQLite could not open {path!r} ({message})")
    if "no such table" in lowered:
        return SchemaNotMigrated(
            f"SQLite {path!r}: {message}: the database is not migrated; run "
            "`convstore migrate` (or `make migrate`)"
        )
    return DatabaseError(f"SQLite {path!r}: {message}")


def postgres_error(error: psycopg.Error, url: str | DatabaseURL) -> ConvstoreError:
    """The convstore error for a psycopg error met while connecting to, checking
    or migrating the database at ``url`` (named redacted). Failures a retry can fix (the server
    is down, restarting, full of clients, or a statement timed out) are
    :class:`DatabaseUnavailable`; a wrong host, database, role or password is a
    :class:`ConfigurationError`. Errors with a SQLSTATE follow
    :mod:`convstore.db.sqlstates`."""
    message = str(error).strip()
    where = redact(url)
    if isinstance(error, psycopg.ProgrammingError) and error.sqlstate is None:
        # Raised by the client before anything is sent: a malformed conninfo.
        return ConfigurationError(f"cannot use the PostgreSQL URL {where}: {message}")
    if isinstance(error, psycopg.OperationalError) and error.sqlstate is None:
        lowered = message.lower()
        if _TRANSIENT_RESOLUTION not in lowered and any(
            fragment in lowered for fragment in _PERMANENT_CONNECTION_FAILURES
        ):
            return ConfigurationError(
                f"cannot connect to PostgreSQL at {where}: {message}; check the host, "
                "database name, user and password in the URL"
            )
        return DatabaseUnavailable(
            f"cannot reach PostgreSQL at {where}: {message}; is the server running? "
            "Retrying later may succeed"
        )
    return convstore_error(error)


def _directory(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


def _writable(path: str) -> bool:
    # os.access honours read-only mounts and immutable files even for root.
    return os.access(path, os.W_OK)


def _has_content(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False
