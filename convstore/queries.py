"""Every named query as a callable, for developers and DBAs who want the SQL
without the :class:`~convstore.store.Store` API around it::

    from convstore import queries
    rows = queries.recent_context(
        target, conversation_id=cid, max_tokens=4000, keep_tool_groups=True
    )

``target`` is a :class:`~convstore.store.Store`, a ``psycopg.Connection``, a
``psycopg_pool.ConnectionPool`` or a ``sqlite3.Connection``; the dialect's file
is chosen from it (on a server with Citus, Citus's version where there is one:
``sql/citus/``). Queries that can be limited to one owner take ``user_id``
(``None`` for any owner); a Store fills it in with its own. The statement runs at once and the rows come back as plain
dicts (the same values the Store returns).

On a bare connection you own the transaction: psycopg (unless in autocommit
mode) and sqlite3 open one before a write, and nothing is committed until you
commit. A Store or a pool runs each call in autocommit mode (writes commit).

The async form of a named query is :meth:`AsyncStore.run
<convstore.store.AsyncStore.run>`: ``rows = await store.run("recent_context", ...)``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from psycopg_pool import ConnectionPool

from .db import sql_functions
from .db.bare import catalogue_of_connection, dialect_of_connection, run_on_connection
from .errors import InvalidInput
from .sqlfiles.catalog import queries_of
from .sqlfiles.parser import Query
from .store.async_store import AsyncStore
from .store.store import Store
from .types import SQLITE

__all__ = ["NamedQuery", "names"]


class NamedQuery:
    """One query name; calling it runs the file of the target's dialect."""

    def __init__(self, name: str) -> None:
        self.name = name

    def query(self, dialect: str) -> Query:
        """The parsed file (its SQL, parameters and description) for ``dialect``."""
        return queries_of(dialect)[self.name]

    def __call__(self, target: Any, **params: Any) -> list[dict[str, Any]]:
        """Run the query on ``target`` now and return its rows as plain dicts.

        :raises InvalidInput: for a target that is none of the four kinds.
        :raises TypeError: for a missing or unknown parameter name (a
            programming error, like a wrong keyword argument).
        :raises ConvstoreError: for what the database refuses, as a Store does.
        """
        if isinstance(target, Store):
            return target.run(self.name, **params)
        if isinstance(target, ConnectionPool):
            with target.connection() as connection:
                return self(connection, **params)
        if isinstance(target, AsyncStore):
            raise InvalidInput(
                f"{self.name} on an AsyncStore is a coroutine: await store.run({self.name!r}, ...)"
            )
        database = dialect_of_connection(target)
        if database is None:
            raise InvalidInput(
                f"cannot run {self.name} on {type(target).__name__}: pass a Store, a "
                "psycopg Connection, a psycopg_pool ConnectionPool or a sqlite3 Connection"
            )
        if isinstance(target, sqlite3.Connection):
            sql_functions.register(target)  # what find_messages and the search index call
        with database.translate_errors():
            return run_on_connection(target, catalogue_of_connection(target)[self.name], **params)

    def __repr__(self) -> str:
        return f"<convstore query {self.name}({', '.join(self.query(SQLITE).parameters)})>"


def names() -> list[str]:
    """Every query name (both dialects hold the same set)."""
    return sorted(queries_of(SQLITE))


def __getattr__(name: str) -> NamedQuery:
    if name in queries_of(SQLITE):
        return NamedQuery(name)
    raise AttributeError(f"convstore.queries has no query named {name!r}")


def __dir__() -> list[str]:
    return [*__all__, *names()]
