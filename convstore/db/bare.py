"""Statements on a driver connection that no :class:`~convstore.db.base.Database`
owns: the caller's own (:mod:`convstore.queries`), yoyo's (the migrations), a
tutorial-era database being imported (:func:`foreign_connection`). The dialect
is the connection's driver's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from psycopg.types.string import TextLoader

from ..sqlfiles.catalog import bind, catalogue
from ..sqlfiles.parser import Query
from ..types import SQLITE
from ..urls import DatabaseURL
from .base import Database, log_statement
from .opening import sqlite_file
from .postgres import PostgresDatabase
from .sqlite import SQLiteDatabase


def dialect_of_connection(connection: Any) -> type[Database] | None:
    """The :class:`Database` class of ``connection``'s driver; ``None`` for
    anything but a ``sqlite3.Connection`` or a ``psycopg.Connection``."""
    if isinstance(connection, sqlite3.Connection):
        return SQLiteDatabase
    if isinstance(connection, psycopg.Connection):
        return PostgresDatabase
    return None


_CATALOGUES: WeakKeyDictionary[psycopg.Connection, Mapping[str, Query]] = WeakKeyDictionary()


def catalogue_of_connection(connection: Any) -> Mapping[str, Query]:
    """The statements to run on ``connection`` (a connection of either
    driver): its dialect's, or on a PostgreSQL server with Citus, Citus's
    versions in place (:meth:`PostgresDatabase.catalogue_on`, asked once per
    connection).

    :raises TypeError: for a connection of another driver.
    """
    if isinstance(connection, sqlite3.Connection):
        return catalogue(SQLITE)
    if not isinstance(connection, psycopg.Connection):
        raise TypeError(f"not a sqlite3 or psycopg connection: {connection!r}")
    if connection not in _CATALOGUES:
        _CATALOGUES[connection] = PostgresDatabase.catalogue_on(connection)
    return _CATALOGUES[connection]


def run_on_connection(connection: Any, query: Query, /, **params: Any) -> list[dict[str, Any]]:
    """Run ``query`` on ``connection`` (a connection of the query's dialect),
    in whatever transaction state the connection is; its rows as plain dicts.
    The driver's errors are raised as they are, for the caller to translate
    with what it knows (``translate_errors()`` of the connection's
    :class:`Database`, or its own context).

    :raises TypeError: for a connection of another driver than the query's.
    """
    database = dialect_of_connection(connection)
    if database is None or database.dialect != query.dialect:
        raise TypeError(f"{query.name} is a {query.dialect} statement, not for {connection!r}")
    bound = bind(query, params)
    log_statement(query, bound)
    return database.execute(connection, query, bound)


@contextmanager
def foreign_connection(url: DatabaseURL) -> Iterator[Any]:
    """A connection to a database convstore does not own (one being
    imported), to read it as it is: a SQLite file opened read-only; a
    PostgreSQL session in UTC whose dates and times come back as the
    server's ISO text, unconverted. Closed when the block ends.

    :raises ConvstoreError: (the dialect's translation) if it cannot be opened.
    """
    if url.dialect == SQLITE:
        with SQLiteDatabase.translate_errors():
            connection = sqlite_file(url.sqlite_path).connect(busy_timeout=5.0, read_only=True)
        with closing(connection):
            yield connection
        return
    with PostgresDatabase.translate_errors():
        server = psycopg.connect(url.conninfo, options="-c TimeZone=UTC -c DateStyle=ISO")
    with server:
        for type_name in ("timestamp", "timestamptz", "date"):
            server.adapters.register_loader(type_name, TextLoader)
        yield server
