"""SQLite: a pool of connections to one database file, each used by one thread
at a time, in WAL mode with a busy timeout, writes under ``BEGIN IMMEDIATE``.

Why this shape: WAL lets readers run while one writer writes; taking the write
lock at ``BEGIN IMMEDIATE`` (rather than on the first write of a deferred
transaction) lets the busy timeout queue writers instead of failing them with
"database is locked"; and never sharing a connection between threads keeps
one thread's transaction from swallowing another's statements.

A file that cannot be written (its permissions, an immutable flag, a
read-only mount, or a directory where SQLite cannot create its ``-wal`` and
``-shm`` files) is opened read-only (``mode=ro``): reads work, and every write
is refused at once with a :class:`~convstore.errors.DatabaseError` instead of
waiting on a lock that can never be had.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from typing import Any

from ..content.search_query import SearchQuery, to_fts5
from ..errors import (
    DatabaseError,
    DatabaseUnavailable,
    DuplicateIdempotencyKey,
    InvalidInput,
    ReadOnlyDatabase,
    SchemaNotMigrated,
)
from ..sqlfiles.parser import Query
from ..types import SQLITE
from . import sql_functions
from .base import (
    BRIEF_WRITE_WAIT,
    SLOW_WAIT,
    Database,
    Tracer,
    fetched,
    fetched_in_chunks,
    logger,
    values_sendable,
)
from .opening import sqlite_file

# Session commands (connection settings and transaction control), not queries.
_CONNECTION_SETTINGS = ("PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON")
# A read-only connection cannot change the journal mode (the file's own stays).
_READ_ONLY_SETTINGS = ("PRAGMA foreign_keys = ON",)
_BEGIN_WRITE = "BEGIN IMMEDIATE"
_BRIEF_BUSY_TIMEOUT = f"PRAGMA busy_timeout = {round(BRIEF_WRITE_WAIT * 1000)}"
_BEGIN_READ = "BEGIN DEFERRED"
_COMMIT = "COMMIT"
_ROLLBACK = "ROLLBACK"
_SAVEPOINT = "SAVEPOINT convstore_nested"
_RELEASE_SAVEPOINT = "RELEASE SAVEPOINT convstore_nested"
_ROLLBACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT convstore_nested"


def open_connection(
    path: str, busy_timeout: float, *, read_only: bool = False
) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with WAL and
    foreign keys on; usable from any thread, but by one at a time. Read-only
    when ``read_only`` asks for it or the file cannot be written.

    :raises ConfigurationError: if the file's directory does not exist, or the
        file does not exist and cannot be created.
    :raises sqlite3.Error: if SQLite cannot open it.
    """
    database = sqlite_file(path)
    read_only = read_only or database.read_only
    connection = database.connect(busy_timeout, read_only=read_only)
    deadline = time.monotonic() + busy_timeout
    try:
        for setting in _READ_ONLY_SETTINGS if read_only else _CONNECTION_SETTINGS:
            _until_not_busy(connection, setting, deadline)
    except BaseException:
        connection.close()
        raise
    return connection


def _roll_back_if_open(connection: sqlite3.Connection, rollback: str) -> bool:
    """Roll back with ``rollback`` if the transaction is still open; ``False``
    when an error has already ended it (a full disk, an I/O error,
    ``RAISE(ROLLBACK)``): rolling back then would fail with "no transaction
    is active" and hide that error."""
    if not connection.in_transaction:
        return False
    connection.execute(rollback)
    return True


def _log_wait(started: float, what: str, path: str) -> None:
    waited = time.monotonic() - started
    if waited >= SLOW_WAIT:
        logger.info("waited %.3f s for %s: SQLite %s", waited, what, path)


def _until_not_busy(connection: sqlite3.Connection, setting: str, deadline: float) -> None:
    """Run ``setting``, trying again until ``deadline`` while the file is locked:
    switching a file to WAL needs it to itself, and while another connection
    holds the write lock (or is switching it too) SQLite says "locked" at once,
    without its busy handler, since waiting could deadlock."""
    while True:
        try:
            connection.execute(setting)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


class SQLiteDatabase(Database):
    dialect = SQLITE

    def __init__(
        self,
        path: str,
        *,
        max_size: int = 8,
        busy_timeout: float = 30.0,
        tracer: Tracer | None = None,
        read_only: bool | None = None,
    ) -> None:
        """Connections are opened on demand, up to ``max_size``; a thread that
        finds all of them in use waits up to ``busy_timeout`` seconds, which is
        also how long a writer waits for the file's write lock.

        ``read_only``: ``None`` (the default) opens the file read-only if it
        cannot be written, ``True`` always.

        :raises ConfigurationError: if the file's directory does not exist, or
            the file does not exist and cannot be created.
        """
        super().__init__(tracer=tracer)
        self.path = path
        database = sqlite_file(path)
        if read_only and not database.read_only:
            self.read_only_reason: str | None = "read_only=True was asked for"
        else:
            self.read_only_reason = database.read_only_reason
        self.max_size = max_size
        self.busy_timeout = busy_timeout
        # Restores a connection's wait after a brief one (Database.waiting_briefly).
        self._busy_timeout_setting = f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}"
        self._idle: list[sqlite3.Connection] = []
        self._opened = 0
        self._retired: set[int] = set()  # ids of connections closed while checked out
        self._closed = False
        self._available = threading.Condition()
        # SQLite admits one writer per file. Threads of this process queue here;
        # the busy timeout then only arbitrates between processes. (Left to the
        # busy handler alone, 16 threads wrote 3x slower than one: it sleeps.)
        self._write_lock = threading.Lock()

    @contextmanager
    def checkout(self) -> Iterator[sqlite3.Connection]:
        connection = self._acquire()
        try:
            yield connection
        finally:
            retired = id(connection) in self._retired
            if not retired and connection.in_transaction:
                connection.execute(_ROLLBACK)
            with self._available:
                if retired:
                    self._retired.discard(id(connection))
                    self._opened -= 1
                else:
                    self._idle.append(connection)
                self._available.notify()

    def reset_session(self, connection: sqlite3.Connection) -> None:
        """Close it (a new one is opened when needed): SQL of the caller's
        own may have changed its settings (``PRAGMA foreign_keys``, say), and
        a fresh connection costs far less than checking them all."""
        self._retired.add(id(connection))
        connection.close()

    def _acquire(self) -> sqlite3.Connection:
        with self._available:
            if self._closed:
                raise DatabaseUnavailable("this store is closed")
            has_room = self._available.wait_for(
                lambda: self._idle or self._opened < self.max_size, timeout=self.busy_timeout
            )
            if not has_room:
                raise DatabaseUnavailable(
                    f"all {self.max_size} SQLite connections stayed busy for "
                    f"{self.busy_timeout}s; raise max_size or shorten transactions"
                )
            if self._idle:
                return self._idle.pop()
            self._opened += 1
        try:
            return open_connection(self.path, self.busy_timeout, read_only=self.read_only)
        except BaseException:
            with self._available:
                self._opened -= 1
                self._available.notify()
            raise

    @property
    def max_connections(self) -> int:
        return self.max_size

    @property
    def read_only(self) -> bool:
        """True when the file was opened read-only; writes are then refused."""
        return self.read_only_reason is not None

    @contextmanager
    def begin(self, connection: sqlite3.Connection, *, write: bool) -> Iterator[None]:
        if not write:
            with self._transaction(connection, _BEGIN_READ):
                yield
            return
        brief = self._waiting_briefly.get()
        waits = (_BRIEF_BUSY_TIMEOUT, self._busy_timeout_setting) if brief else None
        with (
            self.write_slot(BRIEF_WRITE_WAIT if brief else None),
            self._transaction(connection, _BEGIN_WRITE, self.path, waits=waits),
        ):
            yield

    def search_expression(self, query: SearchQuery) -> str | None:
        return to_fts5(query)

    @contextmanager
    def write_slot(self, timeout: float | None = None) -> Iterator[None]:
        """This process's turn to write, waited for up to ``timeout`` seconds
        (``None``: the busy timeout). A lone write statement needs no more:
        in autocommit mode it takes the file's write lock when it starts.

        :raises ReadOnlyDatabase: if the file was opened read-only.
        :raises DatabaseUnavailable: if other threads kept writing for that long.
        """
        if self.read_only:
            raise ReadOnlyDatabase(
                f"the SQLite database {self.path!r} is open read-only ({self.read_only_reason}): "
                "reads work, writes are refused; open it where the file and its directory "
                "are writable to write"
            )
        timeout = self.busy_timeout if timeout is None else timeout
        started = time.monotonic()
        if not self._write_lock.acquire(timeout=timeout):
            raise DatabaseUnavailable(f"another thread kept the SQLite write lock for {timeout}s")
        _log_wait(started, "this process's turn to write", self.path)
        try:
            yield
        finally:
            self._write_lock.release()

    @staticmethod
    @contextmanager
    def _transaction(
        connection: sqlite3.Connection,
        begin: str,
        path: str | None = None,
        *,
        waits: tuple[str, str] | None = None,
    ) -> Iterator[None]:
        """A transaction opened with ``begin``; with a ``path``, a wait for
        the file's lock (another process's writer) is logged. ``waits``, two
        busy-timeout settings, sets the first for ``begin`` only, then the
        second."""
        started = time.monotonic()
        if waits is None:
            connection.execute(begin)
        else:
            connection.execute(waits[0])
            try:
                connection.execute(begin)
            finally:
                connection.execute(waits[1])
        if path is not None:
            _log_wait(started, "the file's write lock (another connection held it)", path)
        try:
            yield
        except BaseException:
            _roll_back_if_open(connection, _ROLLBACK)
            raise
        connection.execute(_COMMIT)

    @contextmanager
    def savepoint(self, connection: sqlite3.Connection) -> Iterator[None]:
        connection.execute(_SAVEPOINT)
        try:
            yield
        except BaseException:
            if _roll_back_if_open(connection, _ROLLBACK_TO_SAVEPOINT):
                connection.execute(_RELEASE_SAVEPOINT)
            raise
        connection.execute(_RELEASE_SAVEPOINT)

    @staticmethod
    def execute(
        connection: sqlite3.Connection, query: Query, params: Mapping[str, Any]
    ) -> list[dict]:
        with values_sendable(query):
            return fetched(connection.execute(query.statement, params))

    @staticmethod
    def iterate(
        connection: sqlite3.Connection, query: Query, params: Mapping[str, Any]
    ) -> Iterator[dict]:
        with values_sendable(query):
            cursor = connection.execute(query.statement, params)
        with closing(cursor):
            yield from fetched_in_chunks(cursor)

    @staticmethod
    @contextmanager
    def translate_errors() -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError as error:
            if "messages.idempotency_key" in str(error):
                raise DuplicateIdempotencyKey(str(error)) from error
            raise InvalidInput(f"the database rejected the values: {error}") from error
        except sqlite3.OperationalError as error:
            if sql_functions.interrupted():
                raise KeyboardInterrupt from error  # it struck inside one of convstore's functions
            message = str(error)
            if "no such table" in message:
                raise SchemaNotMigrated(
                    f"{message}: the database is not migrated; run `convstore migrate` "
                    "(or `make migrate`)"
                ) from error
            if "readonly" in message:
                raise ReadOnlyDatabase(
                    f"SQLite: {message}: the file, its directory or its mount is read-only; "
                    "writes are refused"
                ) from error
            if "locked" in message or "busy" in message or "unable to open" in message:
                raise DatabaseUnavailable(f"SQLite: {message}") from error
            raise DatabaseError(f"SQLite: {message}") from error
        except sqlite3.Error as error:
            raise DatabaseError(f"SQLite: {error}") from error

    def close(self) -> None:
        with self._available:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
