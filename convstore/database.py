"""The query runner: named queries run on a pool of connections, with
transactions that nest and a tracer that sees every statement.

One :class:`Database` subclass per dialect supplies the connection strategy
(``convstore.sqlite``, ``convstore.postgres``); this module holds what they share.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

from .catalog import bind, queries_of
from .sqlfile import Query

logger = logging.getLogger("convstore")

Tracer = Callable[[str, Mapping[str, Any]], None]
"""Called with the statement sent (its first line names the ``.sql`` file) and
its parameters, just before each execution."""


class Database(ABC):
    """Runs the dialect's named queries; subclasses own the connections."""

    dialect: str
    single_writer: bool = False
    """The database lets one writer in at a time (SQLite): every write runs in a
    write transaction, so writers queue in-process instead of polling the lock."""

    def __init__(self, *, tracer: Tracer | None = None) -> None:
        self.queries: Mapping[str, Query] = queries_of(self.dialect)
        self.tracer = tracer
        # The connection of the transaction open in this thread (or task), if any.
        self._transaction_connection: ContextVar[Any] = ContextVar(
            f"convstore-transaction-{id(self)}", default=None
        )

    def run(self, query_name: str, **params: Any) -> list[dict[str, Any]]:
        """Execute a named query now and return its rows as plain dicts.

        Inside :meth:`transaction` it runs on the transaction's connection;
        otherwise on a pooled connection in autocommit mode.
        """
        query = self.queries[query_name]
        bound = bind(query, params)
        if query.writes and self.single_writer and self._transaction_connection.get() is None:
            with self.transaction():
                return self.run(query_name, **params)
        with self.translate_errors(), self._connection() as connection:
            self._trace(query, bound)
            return self.execute(connection, query, bound)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[None]:
        """Run the enclosed calls atomically: commit at the end of the outermost
        block, roll back if it raises. A nested block is a savepoint, so its
        failure undoes only its own work. ``write=False`` opens a read-only
        snapshot where the database distinguishes one (SQLite).
        """
        connection = self._transaction_connection.get()
        if connection is not None:
            with self.translate_errors(), self.savepoint(connection):
                yield
            return
        with self.translate_errors(), self.checkout() as connection:
            token = self._transaction_connection.set(connection)
            try:
                with self.begin(connection, write=write):
                    yield
            finally:
                self._transaction_connection.reset(token)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        connection = self._transaction_connection.get()
        if connection is not None:
            yield connection
        else:
            with self.checkout() as connection:
                yield connection

    def _trace(self, query: Query, params: Mapping[str, Any]) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("running %s with %r", query.name, params)
        if self.tracer is not None:
            self.tracer(query.statement, params)

    # -- what each dialect supplies -------------------------------------------------

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
    def translate_errors() -> AbstractContextManager[None]:
        """Re-raise driver errors as :mod:`convstore.errors` types."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection."""
