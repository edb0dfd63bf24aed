"""The query runner: named queries run on a pool of connections, with
transactions that nest and a tracer that sees every statement.

One :class:`Database` subclass per dialect supplies the connection strategy
(``convstore.db.sqlite``, ``convstore.db.postgres``); this module holds what they share.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ..content.search_query import SearchQuery, to_tsquery
from ..errors import ConfigurationError, InvalidInput, OutcomeUnknown
from ..sqlfiles.catalog import bind, catalogue
from ..sqlfiles.parser import Query
from ..validation import seconds, show
from .rows import row_dicts

logger = logging.getLogger("convstore")

IDEMPOTENCY_INDEX = "messages_idempotency_key"
"""The unique index that makes an idempotency key unique within a conversation."""

SLOW_WAIT = 0.1
"""Seconds: a call that waited this long or longer for a connection or a
write lock says so in the log (``INFO``), with the wait's duration."""

BRIEF_WRITE_WAIT = 0.1
"""Seconds a write begun under :meth:`Database.waiting_briefly` waits for
another writer to finish (SQLite) before it gives up."""

SECRET_PARAMETERS = frozenset({"scope_key"})
"""Parameters whose values tracers and logs never see."""


MAX_STATEMENT_TIMEOUT = (2**31 - 1) // 1000
"""Seconds: the longest ``statement_timeout`` PostgreSQL's setting holds
(an integer of milliseconds)."""


@dataclass(frozen=True)
class PoolOptions:
    """How a store holds its connections, checked when made: the keyword
    options of ``convstore.connect(url, **options)``.

    :raises ConfigurationError: for a size that is not a whole number (at
        least 0 for ``min_size``, 1 for ``max_size``; ``min_size`` at most
        ``max_size``), a time that is not a number of seconds above zero, or
        a flag that is not ``True`` or ``False``.
    """

    min_size: int = 1
    """PostgreSQL connections opened at once, and kept open."""
    max_size: int = 10
    """The most connections: PostgreSQL's, or SQLite's to the file."""
    timeout: float = 30.0
    """Seconds a call waits for a free connection (and PostgreSQL's pool for
    its first connections) or, on SQLite, for the write lock."""
    statement_timeout: float = 30.0
    """PostgreSQL: the server cancels a statement running longer (seconds)."""
    connect_timeout: float = 10.0
    """PostgreSQL: a new connection gives up after this many seconds."""
    prepare: bool = True
    """PostgreSQL: server-side prepared statements. PgBouncer in
    transaction-pooling mode needs them off, unless it is 1.22 or newer with
    ``max_prepared_statements`` set."""
    transaction_pooling: bool = False
    """PostgreSQL: a proxy hands each transaction to any server session
    (PgBouncer's ``pool_mode = transaction``), so convstore keeps no state in
    the session: no prepared statements, and user scopes that live in the
    transaction (see the README's "Isolation")."""

    def __post_init__(self) -> None:
        for name, least in (("min_size", 0), ("max_size", 1)):
            size = getattr(self, name)
            if isinstance(size, bool) or not isinstance(size, int) or size < least:
                raise ConfigurationError(
                    f"{name} must be a whole number >= {least}, not {show(size)}"
                )
        if self.min_size > self.max_size:
            raise ConfigurationError(
                f"min_size ({self.min_size}) is larger than max_size ({self.max_size})"
            )
        for name in ("timeout", "statement_timeout", "connect_timeout"):
            seconds(name, getattr(self, name))
        if not 0.001 <= self.statement_timeout <= MAX_STATEMENT_TIMEOUT:
            # PostgreSQL takes whole milliseconds up to 2^31 - 1; 0 would mean no limit
            raise ConfigurationError(
                f"statement_timeout must be between 0.001 and {MAX_STATEMENT_TIMEOUT:,} seconds, "
                f"not {show(self.statement_timeout)}"
            )
        for name in ("prepare", "transaction_pooling"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigurationError(
                    f"{name} must be True or False, not {show(getattr(self, name))}"
                )


Tracer = Callable[[str, Mapping[str, Any]], None]
"""Called with the statement sent (its first line names the ``.sql`` file) and
its parameters, just before each execution."""


class Database(ABC):
    """Runs the dialect's named queries; subclasses own the connections."""

    dialect: str

    def __init__(self, *, tracer: Tracer | None = None) -> None:
        self.queries: Mapping[str, Query] = catalogue(self.dialect)
        """Every statement of the dialect by name (:mod:`convstore.sqlfiles.catalog`)."""
        self.tracer = tracer
        # The connection of the transaction open in this thread (or task), if any.
        self._transaction_connection: ContextVar[_Hold | None] = ContextVar(
            f"convstore-transaction-{id(self)}", default=None
        )
        # A connection held by this thread (or task) outside a transaction, for
        # session state that must outlive one statement (a sealed user scope).
        self._pinned_connection: ContextVar[_Hold | None] = ContextVar(
            f"convstore-pinned-{id(self)}", default=None
        )
        # Connections handed to the caller's own SQL (by id: sqlite3's cannot be
        # weakly referenced), reset before they serve anyone else.
        self._lent: dict[int, Any] = {}
        # Set while this thread (or task) runs writes that may give up early.
        self._waiting_briefly: ContextVar[bool] = ContextVar(
            f"convstore-brief-{id(self)}", default=False
        )

    # -- the verbs: every statement of the package is sent by one of them ------------
    #
    # Each takes a statement's name in :attr:`queries` or a parsed Query (the
    # tests' and the benchmark's own files); binds its parameters
    # (:func:`~convstore.sqlfiles.catalog.bind`), traces it, and translates the driver's
    # errors. Inside :meth:`transaction` it runs on the transaction's
    # connection; otherwise on a pooled connection in autocommit mode.

    def run(self, query: str | Query, /, **params: Any) -> list[dict[str, Any]]:
        """Execute the statement now; its rows as plain dicts (:mod:`convstore.db.rows`)."""
        statement = self._statement(query)
        bound = bind(statement, params)
        commits_alone = statement.writes and not self.in_transaction()
        slot = self.write_slot() if commits_alone else nullcontext()
        # A connection first, then the turn to write: the order a transaction
        # takes them in (a connection, then begin()). In the other order a lone
        # write holding the turn waits for a connection that transactions hold
        # while they wait for the turn: all wait until the timeout.
        with self.translate_errors(), self.connection() as connection, slot:
            self._trace(statement, bound)
            with self._outcome_checked(statement.name) if commits_alone else nullcontext():
                return self.execute(connection, statement, bound)

    def run_one(self, query: str | Query, /, **params: Any) -> dict[str, Any] | None:
        """:meth:`run` for a statement of one row at most: that row, or ``None``.

        :raises TypeError: if it returned more (a statement used wrongly).
        """
        rows = self.run(query, **params)
        if len(rows) > 1:
            raise TypeError(f"{self._statement(query).name} returned {len(rows)} rows, not one")
        return rows[0] if rows else None

    @contextmanager
    def stream(self, query: str | Query, /, **params: Any) -> Iterator[Iterator[dict[str, Any]]]:
        """The statement's rows as they are read, a few thousand at a time, for
        as long as the block is open::

            with database.stream("transfer.source_messages", after_seqs=...) as rows:
                for row in rows: ...

        Inside :meth:`transaction` it reads on the transaction's connection,
        and sees what the transaction wrote. Otherwise it holds a connection
        of its own, in a read transaction (PostgreSQL reads through a
        server-side cursor, which needs one), so the rows are one snapshot;
        calls made in the block run on other connections, exactly as they
        would outside it (the pool needs one to spare), and that connection
        has no user scope (:meth:`user_scope`).

        :raises TypeError: for a statement that writes (use :meth:`run`).
        """
        statement = self._statement(query)
        if statement.writes:
            raise TypeError(f"{statement.name} writes; stream reads (run it with run)")
        bound = bind(statement, params)
        with self.translate_errors(), self._reading_connection() as connection:
            self._trace(statement, bound)
            rows = self._translated(self.iterate(connection, statement, bound))
            try:
                yield rows
            finally:
                rows.close()

    @contextmanager
    def _reading_connection(self) -> Iterator[Any]:
        held = _held(self._transaction_connection)
        if held is not None:
            yield held
            return
        with self._checked_out() as connection, self.begin(connection, write=False):
            yield connection

    def copy_rows(self, query: str | Query, rows: Iterable[Sequence[Any]], /) -> int:
        """Send ``rows`` (tuples in the order of the statement's columns) to a
        ``COPY ... FROM STDIN`` statement; return how many. Outside a
        transaction the rows are one transaction of their own.

        :raises ConfigurationError: on a database without ``COPY`` (SQLite),
            before anything is sent.
        """
        statement = self._statement(query)
        if not self.has_copy:
            raise ConfigurationError(
                f"{self.dialect} has no COPY; {statement.name} is PostgreSQL's"
            )
        bound = bind(statement, {})
        writing = nullcontext() if self.in_transaction() else self.transaction()
        with self.translate_errors(), writing, self.connection() as connection:
            self._trace(statement, bound)
            return self.copy(connection, statement, rows)

    def _statement(self, query: str | Query) -> Query:
        return self.queries[query] if isinstance(query, str) else query

    def _translated(self, rows: Iterator[dict[str, Any]]) -> Generator[dict[str, Any], None, None]:
        """``rows`` with the driver's errors, raised as they are read, translated."""
        with self.translate_errors():
            yield from rows

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[None]:
        """Run the enclosed calls atomically: commit at the end of the outermost
        block, roll back if it raises. A nested block is a savepoint, so its
        failure undoes only its own work. ``write=False`` opens a read
        transaction whose statements see one snapshot (SQLite's deferred
        transaction; REPEATABLE READ on PostgreSQL)."""
        connection = _held(self._transaction_connection)
        if connection is not None:
            with self.translate_errors(), self.savepoint(connection):
                yield
            return
        with self.translate_errors(), self._held_or_checked_out() as connection:
            with _holding(self._transaction_connection, connection):
                block_done = False
                with self._outcome_checked("the transaction's COMMIT", after=lambda: block_done):
                    with self.begin(connection, write=write):
                        yield
                        block_done = write

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """Inside a transaction, a savepoint, so that a failed statement in the
        block leaves the transaction usable; outside one, nothing (each
        statement is its own transaction)."""
        if not self.in_transaction():
            yield
        else:
            with self.transaction():
                yield

    @contextmanager
    def waiting_briefly(self) -> Iterator[None]:
        """Write transactions begun in the block wait at most
        :data:`BRIEF_WRITE_WAIT` for another writer, then raise
        :class:`~convstore.errors.DatabaseUnavailable`: for work that can be
        left to later, such as a search's indexing. It matters on SQLite,
        whose one writer at a time may hold the file for as long as its
        transaction lasts; PostgreSQL's writers do not wait for one another
        at BEGIN."""
        token = self._waiting_briefly.set(True)
        try:
            yield
        finally:
            self._waiting_briefly.reset(token)

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """The open transaction's connection in this thread, else a pooled one."""
        connection = _held(self._transaction_connection)
        if connection is not None:
            yield connection
        else:
            with self._held_or_checked_out() as connection:
                yield connection

    @contextmanager
    def lent(self) -> Iterator[Any]:
        """A transaction's driver connection for the caller's own SQL. Whatever
        that SQL leaves on the session (settings, prepared statements,
        temporary objects, listeners) is cleared before the connection serves
        another call: see :meth:`reset_session`."""
        with self.transaction(), self.connection() as connection:
            self._lent[id(connection)] = connection
            yield connection

    def was_lent(self, connection: Any) -> bool:
        """True if ``connection`` was handed to the caller's SQL since it was checked out."""
        return id(connection) in self._lent

    def clean_if_lent(self, connection: Any) -> None:
        """Reset a connection that was lent (outside any transaction)."""
        if self._lent.pop(id(connection), None) is not None:
            self.reset_session(connection)

    @contextmanager
    def pinned(self) -> Iterator[Any]:
        """Hold one connection for this thread (or task) until the block ends:
        every call inside, transactions included, runs on it."""
        connection = _held(self._transaction_connection) or _held(self._pinned_connection)
        if connection is not None:
            yield connection
            return
        with self._checked_out() as connection, _holding(self._pinned_connection, connection):
            yield connection

    def in_transaction(self) -> bool:
        """True inside :meth:`transaction` in this thread (or task)."""
        return _held(self._transaction_connection) is not None

    def _held_or_checked_out(self) -> AbstractContextManager[Any]:
        held = _held(self._pinned_connection)
        return nullcontext(held) if held is not None else self._checked_out()

    @contextmanager
    def _checked_out(self) -> Iterator[Any]:
        with self.checkout() as connection:
            try:
                yield connection
            finally:
                self.clean_if_lent(connection)

    @contextmanager
    def _outcome_checked(
        self, what: str, *, after: Callable[[], bool] = lambda: True
    ) -> Iterator[None]:
        """Report a connection lost while ``what`` was committing (once
        ``after()`` holds) as :class:`OutcomeUnknown`: the server may have
        committed it, so the error must not say that a retry is safe."""
        try:
            yield
        except Exception as error:
            if after() and self.connection_lost(error):
                raise OutcomeUnknown(
                    f"the connection was lost after {what} was sent; it may or may not have "
                    "been committed: read back to check, or retry with an idempotency key"
                ) from error
            raise

    def connection_lost(self, error: BaseException) -> bool:
        """True if ``error`` (a driver error) means the connection broke, so
        the server's answer to what was sent is unknown."""
        return False

    def _trace(self, query: Query, params: Mapping[str, Any]) -> None:
        if SECRET_PARAMETERS.intersection(params):
            params = {k: "***" if k in SECRET_PARAMETERS else v for k, v in params.items()}
        log_statement(query, params)
        if self.tracer is not None:
            self.tracer(query.statement, params)

    def search_expression(self, query: SearchQuery) -> str | None:
        """What the search queries take as ``:query`` for a parsed search box
        (PostgreSQL's: ``tsquery`` text of folded words); ``None`` when there
        is nothing to search for."""
        return to_tsquery(query)

    def user_scope(self, user_id: str, *, sealed: bool = False) -> AbstractContextManager[None]:
        """Name ``user_id`` to the database's row-level security for the
        enclosed calls, and restore the previous scope afterwards. ``sealed``:
        SQL of the caller's own runs in the block, so the scope must be one it
        cannot change. Only PostgreSQL has row-level security; elsewhere the
        queries' own ``user_id`` filters are the only guard."""
        return nullcontext()

    def write_slot(self) -> AbstractContextManager[None]:
        """Held around a write outside a transaction (and by a write
        transaction): a database that admits one writer at a time queues its
        writers here."""
        return nullcontext()

    # -- what each dialect supplies -------------------------------------------------

    @property
    @abstractmethod
    def max_connections(self) -> int:
        """The most connections the pool opens."""

    @abstractmethod
    def checkout(self) -> AbstractContextManager[Any]:
        """A connection for this thread's exclusive use, returned afterwards."""

    @abstractmethod
    def begin(self, connection: Any, *, write: bool) -> AbstractContextManager[None]:
        """An outermost transaction on ``connection``."""

    @abstractmethod
    def savepoint(self, connection: Any) -> AbstractContextManager[None]:
        """A nested transaction inside the open one."""

    @staticmethod
    @abstractmethod
    def execute(connection: Any, query: Query, params: Mapping[str, Any]) -> list[dict]:
        """Run one query on a driver connection; rows as plain dicts."""

    @staticmethod
    @abstractmethod
    def iterate(connection: Any, query: Query, params: Mapping[str, Any]) -> Iterator[dict]:
        """Run one query on a driver connection; its rows as they are fetched."""

    has_copy = False
    """Whether the dialect has ``COPY ... FROM STDIN`` (:meth:`copy`)."""

    def copy(self, connection: Any, query: Query, rows: Iterable[Sequence[Any]]) -> int:
        """Run a ``COPY ... FROM STDIN`` statement with ``rows``; how many were
        sent. Only a dialect whose :attr:`has_copy` is true has one."""
        raise NotImplementedError

    @staticmethod
    @abstractmethod
    def translate_errors() -> AbstractContextManager[None]:
        """Re-raise driver errors as :mod:`convstore.errors` types."""

    @abstractmethod
    def reset_session(self, connection: Any) -> None:
        """Clear what SQL of the caller's own may have left on ``connection``,
        or retire it; called outside any transaction."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection."""


def log_statement(query: Query, params: Mapping[str, Any]) -> None:
    """The debug log's line for a statement about to be sent: its name and
    its parameters' names, never their values (users' data)."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("running %s (%s)", query.name, ", ".join(params))


@contextmanager
def values_sendable(query: Query) -> Iterator[None]:
    """Around a driver's execute: a parameter it cannot send (a lone
    surrogate; on SQLite an integer beyond 64 bits) is :class:`InvalidInput`."""
    try:
        yield
    except (UnicodeEncodeError, OverflowError) as error:
        raise InvalidInput(f"{query.name}: a parameter cannot be sent ({error})") from None


FETCH_SIZE = 5_000
"""Rows fetched at a time by :meth:`Database.stream`."""


def fetched(cursor: Any) -> list[dict[str, Any]]:
    """An executed DB-API cursor's rows as plain dicts (none for a statement without rows)."""
    description = cursor.description  # psycopg builds it anew at each access
    if description is None:
        return []
    return row_dicts([column[0] for column in description], cursor.fetchall())


def fetched_in_chunks(cursor: Any) -> Iterator[dict[str, Any]]:
    """An executed DB-API cursor's rows as plain dicts, :data:`FETCH_SIZE` at a time."""
    description = cursor.description
    if description is None:
        return
    columns = [column[0] for column in description]
    while chunk := cursor.fetchmany(FETCH_SIZE):
        yield from row_dicts(columns, chunk)


@dataclass(eq=False)
class _Hold:
    """A connection held by one thread for a block. A context copied into
    another thread, or a task that outlives the block, does not see it."""

    connection: Any
    thread: int = field(default_factory=threading.get_ident)
    open: bool = True


def _held(holder: ContextVar[_Hold | None]) -> Any:
    hold = holder.get()
    if hold is None or not hold.open or hold.thread != threading.get_ident():
        return None
    return hold.connection


@contextmanager
def _holding(holder: ContextVar[_Hold | None], connection: Any) -> Iterator[None]:
    hold = _Hold(connection)
    token = holder.set(hold)
    try:
        yield
    finally:
        hold.open = False
        holder.reset(token)
