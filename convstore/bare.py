"""Statements on a driver connection that no :class:`~convstore.database.Database`
owns: the caller's own (:mod:`convstore.queries`), yoyo's (the migrations), a
tutorial-era database being imported. The dialect is the connection's driver's.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg

from .catalog import bind
from .database import Database
from .postgres import PostgresDatabase
from .sqlfile import Query
from .sqlite import SQLiteDatabase


def dialect_of_connection(connection: Any) -> type[Database] | None:
    """The :class:`Database` class of ``connection``'s driver; ``None`` for
    anything but a ``sqlite3.Connection`` or a ``psycopg.Connection``."""
    if isinstance(connection, sqlite3.Connection):
        return SQLiteDatabase
    if isinstance(connection, psycopg.Connection):
        return PostgresDatabase
    return None


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
    return database.execute(connection, query, bind(query, params))
