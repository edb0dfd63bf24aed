"""PostgreSQL: psycopg 3 connections from a ``psycopg_pool.ConnectionPool``.

Connections are in autocommit mode, so a lone read never leaves a session
"idle in transaction"; :meth:`PostgresDatabase.transaction` wraps calls in
``BEGIN``/``COMMIT`` (savepoints when nested).

A connection the server has closed (a restart, ``idle_session_timeout``,
``pg_terminate_backend``, a proxy's idle reaper) is found on checkout without
a round trip: the server says so on the socket before it closes, so an idle
connection with anything to read is pinged, and one that fails is replaced at
once, with the pool's other idle connections checked alongside. (The pool's
own ``check`` pinged every checkout, a round trip per call, and waited 1, 2,
4 ... s after each dead connection it met: 29 s for six.)
"""

from __future__ import annotations

import itertools
import re
import select
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import (
    DatabaseUnavailable,
    DuplicateIdempotencyKey,
    InvalidInput,
)
from ..sqlfiles.catalog import catalogue, citus_catalogue
from ..sqlfiles.parser import Query
from ..types import POSTGRES
from ..urls import DatabaseURL
from .base import (
    IDEMPOTENCY_INDEX,
    SLOW_WAIT,
    Database,
    PoolOptions,
    Tracer,
    fetched_in_chunks,
    logger,
    values_sendable,
)
from .opening import postgres_error
from .rows import row_dicts
from .sqlstates import convstore_error

# Never prepared: the statements that carry the session's scope key (SQL of the
# caller's own could replace a prepared statement of the same name), DISCARD
# ALL (which cannot be prepared), and unindexed_messages, whose generic plan
# reads every user's unindexed messages to find one user's (measured, for the
# indexing statement that had the same condition: 109 ms against 1.5 ms among
# 100,000 of another user's).
_NEVER_PREPARED = frozenset(
    {
        "claim_scope_key",
        "set_session_user_scope",
        "set_user_scope",
        "reset_session",
        "unindexed_messages",
    }
)


# Server-side cursors are named; a name is unique on its connection.
_cursor_numbers = itertools.count()


class PostgresDatabase(Database):
    dialect = POSTGRES
    has_copy = True

    def __init__(
        self,
        url: DatabaseURL,
        options: PoolOptions,
        *,
        tracer: Tracer | None = None,
    ) -> None:
        """Open the pool and wait until ``options.min_size`` connections are
        ready (at most ``options.timeout``); see :class:`PoolOptions`. A stuck
        server cannot hang a call for ever: statements and new connections
        have their own time limits.

        :raises DatabaseUnavailable: if the server cannot be reached in time.
        :raises ConfigurationError: if the first connection is refused for a
            reason a retry cannot fix (a wrong database, user or password).
        """
        super().__init__(tracer=tracer)
        connection_settings: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": max(1, round(options.connect_timeout)),
            # Timestamps arrive in UTC, so no conversion is needed per value.
            # The URL's own options come first: where both set one, ours wins.
            "options": f"{_options_given(url.conninfo)} -c TimeZone=UTC "
            f"-c statement_timeout={round(options.statement_timeout * 1000)}",
        }
        if not options.prepare or options.transaction_pooling:
            connection_settings["prepare_threshold"] = None
        # Per pooled connection: the scope key its session claimed, and the
        # user its session is limited to (absent: every user).
        self._scope_keys: WeakKeyDictionary[psycopg.Connection, str] = WeakKeyDictionary()
        self._session_scopes: WeakKeyDictionary[psycopg.Connection, str | None] = (
            WeakKeyDictionary()
        )
        # ... and the user committed as its scope (what a ROLLBACK leaves).
        self._committed_scopes: WeakKeyDictionary[psycopg.Connection, str | None] = (
            WeakKeyDictionary()
        )
        self.pool = ConnectionPool(
            url.conninfo,
            min_size=options.min_size,
            max_size=options.max_size,
            timeout=options.timeout,
            open=False,
            configure=None if options.transaction_pooling else self._claim_scope_key,
            kwargs=connection_settings,
            name="convstore",
        )
        try:  # one connection first, so a wrong URL or setting fails now, typed
            psycopg.connect(url.conninfo, **connection_settings).close()
        except psycopg.Error as error:
            failure = postgres_error(error, url)
            if not failure.retryable:
                raise failure from error
            # The server may come up within ``timeout``: the pool keeps trying.
        try:
            self.pool.open(wait=True, timeout=options.timeout)
        except PoolTimeout as error:
            self.pool.close()
            raise DatabaseUnavailable(
                f"could not connect to PostgreSQL at {url.redacted} within {options.timeout}s; "
                "is the server running and the URL right?"
            ) from error
        with self.translate_errors(), self.connection() as connection:  # once per pool
            self.queries = self.catalogue_on(connection)

    def _claim_scope_key(self, connection: psycopg.Connection) -> None:
        """The pool's ``configure`` callback: claim the new session's scope key
        before any other statement runs on it (migration pg_0010). A session
        without a key (a schema before pg_0010, a read-only server or session,
        a server session already claimed through a proxy, or a Citus
        coordinator, whose workers cannot read the key's scope) falls back to
        transaction-local scopes."""
        query = self.queries["claim_scope_key"]
        self._trace(query, {})
        try:
            (claimed,) = self.execute(connection, query, {})
        except psycopg.errors.UndefinedFunction:
            return
        except psycopg.errors.ReadOnlySqlTransaction:
            logger.warning(
                "this PostgreSQL session is read-only (a standby, or default_transaction_read_only) "
                "and cannot claim a user-scope key: user views fall back to transaction-local "
                "scopes, which SQL of your own can change (see the README on isolation)"
            )
            return
        except psycopg.errors.InsufficientPrivilege:
            logger.warning(
                "this PostgreSQL session is shared through a proxy; connect with "
                "transaction_pooling=True, and see the README on user scopes behind PgBouncer"
            )
            return
        if claimed["scope_key"] is not None:  # None: Citus (claim_scope_key.sql)
            self._scope_keys[connection] = claimed["scope_key"]

    @contextmanager
    def user_scope(self, user_id: str, *, sealed: bool = False) -> Iterator[None]:
        """Limit the enclosed calls to ``user_id``'s rows by the row-level
        security policies, then restore the previous scope.

        The scope belongs to the server session (migration pg_0010) and is
        changed only with the key this session claimed when it was opened, so
        SQL run inside the block cannot widen it. Outside a transaction it is
        committed before the block runs, and the connection stays with this
        thread until the block ends. Inside a transaction it is part of that
        transaction (a savepoint undoes it on failure); a ``sealed`` scope
        cannot be set there, since a ROLLBACK in the block would undo it.

        A session without a key (``transaction_pooling=True``, a Citus
        coordinator, or a schema before pg_0010) gets the transaction-local
        setting of migration pg_0006 instead (set by SET LOCAL, which Citus
        passes on to its workers: pg_0028), which SQL in the block can change:
        it guards against mistakes in your SQL, not against hostile SQL.

        :raises InvalidInput: for a sealed scope inside a transaction that did
            not commit it first, or for another user's call on a connection
            that was lent to SQL of the caller's own.
        """
        with self.translate_errors(), self.pinned() as connection:
            if connection not in self._scope_keys:
                with self.transaction():
                    (previous,) = self.run("set_user_scope", user_id=user_id)
                    yield
                    self.run("set_user_scope", user_id=previous["previous_user_id"])
                return
            current = self._session_scopes.get(connection)
            if current != user_id and self.was_lent(connection):
                raise InvalidInput(
                    f"this connection ran SQL of your own limited to {current!r}; another "
                    "user's calls cannot run on it before its block ends"
                )
            if current == user_id and not (sealed and self.in_transaction()):
                yield
            elif not self.in_transaction():
                with self._session_scope(connection, user_id):
                    yield
            elif sealed and self._committed_scopes.get(connection) == user_id:
                yield
            elif sealed:
                raise InvalidInput(
                    f"a scope limited to {user_id!r} cannot be sealed inside a transaction "
                    "opened without it; open the view's connection() outside it"
                )
            else:
                with self.transaction(), self._session_scope(connection, user_id):
                    yield

    @contextmanager
    def _session_scope(self, connection: psycopg.Connection, user_id: str) -> Iterator[None]:
        """Set the session's scope, run the block, set it back. Outside a
        transaction the change is committed at once, and a connection lent to
        the caller's SQL meanwhile is reset before the scope is set back. If
        that fails, the connection is closed (the pool then discards it), so no
        later call inherits the scope."""
        previous = self._session_scopes.get(connection)
        committed = not self.in_transaction()
        self._set_session_scope(connection, user_id, committed=committed)
        try:
            yield
        except BaseException:
            if committed:
                self._restore_session_scope(connection, previous)
            else:  # the savepoint's rollback undoes the change
                self._session_scopes[connection] = previous
            raise
        if committed:
            self._restore_session_scope(connection, previous)
        else:
            self._set_session_scope(connection, previous, committed=False)

    def _restore_session_scope(self, connection: psycopg.Connection, user_id: str | None) -> None:
        try:
            self.clean_if_lent(connection)
            self._set_session_scope(connection, user_id, committed=True)
        except BaseException:
            connection.close()
            raise

    def _set_session_scope(
        self, connection: psycopg.Connection, user_id: str | None, *, committed: bool
    ) -> None:
        self.run("set_session_user_scope", scope_key=self._scope_keys[connection], user_id=user_id)
        self._session_scopes[connection] = user_id
        if committed:
            self._committed_scopes[connection] = user_id

    def reset_session(self, connection: psycopg.Connection) -> None:
        """``DISCARD ALL``: settings back to the session's defaults, prepared
        statements, temporary objects, cursors, listeners and advisory locks
        gone. The session then prepares no more statements: psycopg notices a
        ``DISCARD ALL`` only the first time its cache meets that statement, so
        after a second one it would name statements the server dropped
        (psycopg 3.3, ``PrepareManager.validate``). If it fails, the connection
        is closed and the pool replaces it."""
        query = self.queries["reset_session"]
        self._trace(query, {})
        try:
            self.execute(connection, query, {})
        except psycopg.Error:
            connection.close()
            raise
        connection.prepare_threshold = None

    @property
    def max_connections(self) -> int:
        return self.pool.max_size

    def connection_lost(self, error: BaseException) -> bool:
        """A driver error with no SQLSTATE, or of class 08 (connection exception)."""
        if not isinstance(error, psycopg.OperationalError):
            return False
        return error.sqlstate is None or error.sqlstate.startswith("08")

    @contextmanager
    def checkout(self) -> Iterator[psycopg.Connection]:
        """A working connection from the pool (see the module's docstring); a
        wait of :data:`SLOW_WAIT` or more for one (every connection busy, or a
        new one being opened) is logged."""
        started = time.monotonic()
        while True:
            with self.pool.connection() as connection:
                if _closed_by_server(connection):
                    # A restart or a reaper closes every idle session at once.
                    self.pool.check()
                    continue
                self._log_slow_wait(time.monotonic() - started)
                yield connection
                return

    def _log_slow_wait(self, waited: float) -> None:
        if waited >= SLOW_WAIT:
            stats = self.pool.get_stats()
            logger.info(
                "waited %.3f s for a PostgreSQL connection (pool of %d, at most %d; "
                "%d calls waiting)",
                waited,
                stats.get("pool_size", 0),
                self.pool.max_size,
                stats.get("requests_waiting", 0),
            )

    @contextmanager
    def begin(self, connection: psycopg.Connection, *, write: bool) -> Iterator[None]:
        """A write transaction at the server's default level; a read one at
        REPEATABLE READ, so its statements all see one snapshot."""
        if write:
            with connection.transaction():
                yield
            return
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        try:
            with connection.transaction():
                yield
        finally:
            connection.isolation_level = None

    def savepoint(self, connection: psycopg.Connection) -> AbstractContextManager:
        return connection.transaction()

    @classmethod
    def catalogue_on(cls, connection: psycopg.Connection) -> Mapping[str, Query]:
        """The statements to run on ``connection``'s server: PostgreSQL's, or
        on a server with Citus, :func:`~convstore.sqlfiles.catalog.citus_catalogue`
        (Citus's versions of those it cannot run as written)."""
        if cls.execute(connection, citus_catalogue()["distribute.citus_version"], {}):
            return citus_catalogue()
        return catalogue(POSTGRES)

    @staticmethod
    def execute(
        connection: psycopg.Connection, query: Query, params: Mapping[str, Any]
    ) -> list[dict]:
        with connection.cursor() as cursor:
            prepare = False if query.name in _NEVER_PREPARED else None
            with values_sendable(query):
                cursor.execute(query.statement, params, prepare=prepare)
            return _rows(cursor)

    @staticmethod
    def iterate(
        connection: psycopg.Connection, query: Query, params: Mapping[str, Any]
    ) -> Iterator[dict]:
        """Through a server-side cursor (``DECLARE``), so the server holds the
        rows not yet read; it needs an open transaction."""
        with connection.cursor(name=f"convstore_{next(_cursor_numbers)}") as cursor:
            with values_sendable(query):
                cursor.execute(query.statement, params)
            yield from fetched_in_chunks(cursor)

    def copy(
        self, connection: psycopg.Connection, query: Query, rows: Iterable[Sequence[Any]]
    ) -> int:
        """A value psycopg cannot send (a NUL character, a lone surrogate, a
        type it cannot adapt) is :class:`InvalidInput`, raised before the COPY
        ends, so nothing of it is stored."""
        sent = 0
        with connection.cursor() as cursor, cursor.copy(query.statement) as copy:
            for row in rows:
                try:
                    with values_sendable(query):
                        copy.write_row(row)
                except (psycopg.DataError, psycopg.ProgrammingError) as error:
                    if error.sqlstate is not None:  # the server's: translated as usual
                        raise
                    message = f"{query.name}: row {sent + 1} cannot be sent ({error})"
                    raise InvalidInput(message) from error
                sent += 1
        return sent

    @staticmethod
    @contextmanager
    def translate_errors() -> Iterator[None]:
        try:
            yield
        except PoolTimeout as error:
            raise DatabaseUnavailable(f"no PostgreSQL connection became free: {error}") from error
        except psycopg.errors.UniqueViolation as error:
            if _is_idempotency_index(error.diag):
                raise DuplicateIdempotencyKey(error.diag.message_primary) from error
            raise convstore_error(error) from error
        except psycopg.Error as error:
            raise convstore_error(error) from error

    def close(self) -> None:
        self.pool.close()


def _rows(cursor: psycopg.Cursor) -> list[dict]:
    """The executed statement's rows as plain dicts (none for a statement
    without rows). Column names are read from the result itself: psycopg's
    ``description`` builds an object per column at every access (measured:
    27 us for get_message's 21 columns, against 2 us)."""
    result = cursor.pgresult
    if result is None or result.nfields == 0:
        return []
    columns = [bytes(result.fname(index) or b"").decode() for index in range(result.nfields)]
    return row_dicts(columns, cursor.fetchall())


def _options_given(conninfo: str) -> str:
    """The URL's own ``options`` (server settings, ``-c name=value ...``)."""
    try:
        return str(conninfo_to_dict(conninfo).get("options") or "")
    except psycopg.ProgrammingError:  # a malformed URL: the first connection says so, typed
        return ""


def _closed_by_server(connection: psycopg.Connection) -> bool:
    """Whether an idle pooled connection no longer works. Idle, the server
    sends nothing unasked but the error it sends before closing the session
    (or a notification), so a socket with nothing to read is taken as
    working, and one with something is pinged; a ping that fails closes it."""
    if connection.closed:
        return True
    readable, _, _ = select.select([connection.fileno()], [], [], 0)
    if not readable:
        return False
    try:
        ConnectionPool.check_connection(connection)
    except psycopg.Error:
        connection.close()
        return True
    return False


def _is_idempotency_index(diagnostic: psycopg.errors.Diagnostic) -> bool:
    """True when a unique violation is of :data:`IDEMPOTENCY_INDEX`, or of a
    Citus shard's copy of it: a worker names the shard's index (the name, an
    underscore, the shard id) and the coordinator passes on only its message,
    where the name is quoted."""
    names = (
        [diagnostic.constraint_name]
        if diagnostic.constraint_name
        else re.findall(r'"([^"]+)"', diagnostic.message_primary or "")
    )
    return any(re.fullmatch(rf"{IDEMPOTENCY_INDEX}(_\d+)?", name) for name in names)
