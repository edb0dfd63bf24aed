"""The functions convstore's SQLite statements call that SQLite does not
have, registered on every connection convstore opens (PostgreSQL has its own:
``lower(... COLLATE "und-x-icu")``, ``convstore_search_text`` from migration
``pg_0014``, and ``jsonb``'s ``@>``).

A tool that opens the file without convstore can read everything and delete
messages, but a statement that needs one of these fails with "no such
function" rather than answer differently.
"""

from __future__ import annotations

import base64
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from types import FrameType
from typing import Any, NoReturn

from ..content import search_query
from ..content.json_containment import contains_json
from ..content.search_text import fold


def register(connection: sqlite3.Connection) -> None:
    """Give ``connection`` ``convstore_search_text(text)`` (what the search index
    holds for a message: :func:`convstore.content.search_text.fold`, called by the index's
    triggers, migration ``sqlite_0007``), ``convstore_lower(text)`` (Unicode
    lower case, as ICU's root locale gives it on PostgreSQL: ``find_messages``)
    and ``convstore_json_contains(stored, wanted)`` (PostgreSQL's ``jsonb @>``:
    :mod:`convstore.content.json_containment`, for the metadata queries), and
    ``convstore_base64(blob)`` (RFC 4648 base64 without line breaks, as
    PostgreSQL's ``translate(encode(data, 'base64'), E'\\n', '')`` gives
    it: the rollback of migration ``sqlite_0017`` puts attachments back inline),
    and ``convstore_search_matches(folded, expression)`` (whether folded text
    matches a search expression convstore wrote, as the FTS5 index would:
    :func:`convstore.content.search_query.fts5_matcher`, for the messages
    ``search_messages`` reads that are not indexed yet, migration ``sqlite_0018``)."""
    connection.create_function("convstore_search_text", 1, _null_or(fold), deterministic=True)
    connection.create_function("convstore_lower", 1, _null_or(str.lower), deterministic=True)
    connection.create_function(
        "convstore_json_contains", 2, _interruptible(contains_json), deterministic=True
    )
    connection.create_function("convstore_base64", 1, _base64, deterministic=True)
    connection.create_function(
        "convstore_search_matches", 2, _interruptible(_search_matches), deterministic=True
    )


def interrupted() -> bool:
    """Whether a ``KeyboardInterrupt`` struck one of these functions in this
    thread since the last call: SQLite reports it only as "user-defined
    function raised exception", and the statement fails; the caller raises
    the interrupt again (:meth:`convstore.db.sqlite.SQLiteDatabase.translate_errors`)."""
    struck = getattr(_interrupts, "struck", False)
    _interrupts.struck = False
    return struck


_interrupts = threading.local()


@contextmanager
def interrupts_noted() -> Iterator[None]:
    """While it lasts, Ctrl-C (SIGINT) is noted for :func:`interrupted` before
    it raises ``KeyboardInterrupt``, wherever it strikes. One that arrives
    while SQLite runs is raised as the next Python code starts, which may be
    the entry of one of these functions, before the ``try`` of
    :func:`_interruptible` could note it. For the command line; a no-op
    outside the main thread or when a program has its own SIGINT handler."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    signal.signal(signal.SIGINT, _note_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _interrupts.struck = False


def _note_interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    _interrupts.struck = True
    raise KeyboardInterrupt


def _search_matches(folded: str | None, expression: str) -> bool:
    return folded is not None and _matcher(expression)(folded.split(" "))


_matcher = lru_cache(maxsize=64)(search_query.fts5_matcher)


def _base64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _null_or(function: Callable[[str], str]) -> Callable[[str | None], str | None]:
    return _interruptible(lambda text: None if text is None else function(text))


def _interruptible(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, noting a ``KeyboardInterrupt`` that strikes it (see
    :func:`interrupted`)."""

    def call(*arguments: Any) -> Any:
        try:
            return function(*arguments)
        except KeyboardInterrupt:
            _interrupts.struck = True
            raise

    return call
