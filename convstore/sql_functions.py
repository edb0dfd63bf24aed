"""The functions convstore's SQLite statements call that SQLite does not
have, registered on every connection convstore opens (PostgreSQL has its own:
``lower(... COLLATE "und-x-icu")`` and ``convstore_search_text``, migration
``pg_0014``).

A tool that opens the file without convstore can read everything and delete
messages, but a statement that needs one of these fails with "no such
function" rather than answer differently.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

from .search_text import fold


def register(connection: sqlite3.Connection) -> None:
    """Give ``connection`` ``convstore_search_text(text)`` (what the search index
    holds for a message: :func:`convstore.search_text.fold`, called by the index's
    triggers, migration ``sqlite_0007``) and ``convstore_lower(text)`` (Unicode
    lower case, as ICU's root locale gives it on PostgreSQL: ``find_messages``)."""
    connection.create_function("convstore_search_text", 1, _null_or(fold), deterministic=True)
    connection.create_function("convstore_lower", 1, _null_or(str.lower), deterministic=True)


def interrupted() -> bool:
    """Whether a ``KeyboardInterrupt`` struck one of these functions in this
    thread since the last call: SQLite reports it only as "user-defined
    function raised exception", and the statement fails; the caller raises
    the interrupt again (:meth:`convstore.sqlite.SQLiteDatabase.translate_errors`)."""
    struck = getattr(_interrupts, "struck", False)
    _interrupts.struck = False
    return struck


_interrupts = threading.local()


def _null_or(function: Callable[[str], str]) -> Callable[[str | None], str | None]:
    def call(text: str | None) -> str | None:
        try:
            return None if text is None else function(text)
        except KeyboardInterrupt:
            _interrupts.struck = True
            raise

    return call
