"""Opening a :class:`~convstore.store.Store` from a database URL."""

from __future__ import annotations

import asyncio
import functools
import threading
from dataclasses import fields
from typing import Any

from . import validation
from .db.base import PoolOptions, Tracer
from .db.opening import sqlite_file
from .db.postgres import PostgresDatabase
from .db.sqlite import SQLiteDatabase
from .errors import ConfigurationError, SchemaNotMigrated
from .migrate import migrate as apply_migrations
from .migrate import pending_migrations
from .store.async_store import AsyncStore
from .store.store import Store
from .types import SQLITE
from .urls import DatabaseURL
from .validation import DEFAULT_LIMITS, Limits


def connect(
    url: str | DatabaseURL | None = None,
    *,
    migrate: bool | None = None,
    tracer: Tracer | None = None,
    limits: Limits = DEFAULT_LIMITS,
    **options: Any,
) -> Store:
    """Open a store on ``url``, a URL string or a
    :class:`~convstore.urls.DatabaseURL` (default: ``CONVSTORE_URL``, a URL or
    the path of a SQLite file, then ``DATABASE_URL``, then
    ``sqlite:///conversations.db``).

    ``migrate``: by default a SQLite database is migrated on first use, and a
    PostgreSQL database is only checked (pending migrations raise
    :class:`SchemaNotMigrated` naming ``make migrate``). ``True`` applies pending
    migrations on either; ``False`` neither applies nor checks. Checking reads
    what is applied without taking yoyo's lock, so a database that is up to
    date is opened without writing anything; see :func:`convstore.migrate`.

    A SQLite file that cannot be written (permissions, a read-only mount, a
    read-only directory) opens read-only when it is fully migrated: reads work,
    writes raise :class:`ReadOnlyDatabase`.

    ``options`` are those of :class:`~convstore.PoolOptions`:
    ``min_size``, ``max_size``, ``timeout`` (for a free connection or, on
    SQLite, the write lock), and PostgreSQL's ``statement_timeout``,
    ``connect_timeout``, ``prepare`` and ``transaction_pooling`` (for
    PgBouncer's ``pool_mode = transaction``; see the README's "Isolation").
    A PostgreSQL database is connected to once before the pool opens, so a
    wrong URL or setting fails at once. ``tracer`` sees
    every statement. ``limits`` caps the size of what is stored
    (:class:`~convstore.validation.Limits`: 8 MiB of text, 1 MiB of JSON).

    :raises TypeError: for an option :class:`~convstore.PoolOptions` does not have.
    :raises ConfigurationError: for a URL or a setting convstore cannot use
        (sizes and timeouts are checked before anything is opened), a SQLite
        directory that does not exist, a PostgreSQL host, database, user or
        password that is wrong, or a role that may not read yoyo's table
        (connect it with ``migrate=False`` and migrate as the tables' owner).
    :raises SchemaNotMigrated: if migrations are pending (PostgreSQL by
        default; a read-only SQLite file), or (:class:`SchemaTooNew`) the
        database was migrated by a newer convstore.
    :raises DatabaseUnavailable: if the database cannot be reached, or another
        process keeps the migration lock or SQLite's write lock past the timeout;
        retrying later may succeed.
    :raises DatabaseError: if a migration fails.
    """
    url = DatabaseURL.resolve(url)  # parsed once; passed down as the value
    pool_options = _pool_options(options)
    if migrate not in (None, True, False):
        raise ConfigurationError(
            f"migrate must be None, True or False, not {validation.show(migrate)}"
        )
    if not isinstance(limits, Limits):
        raise ConfigurationError(
            f"limits must be a convstore.Limits, not {validation.show(limits)}"
        )
    if url.dialect == SQLITE:
        path = url.sqlite_path
        sqlite_file(path)  # a missing directory is reported before anything else
        if migrate is not False:
            apply_migrations(url)
        database = SQLiteDatabase(
            path, max_size=pool_options.max_size, busy_timeout=pool_options.timeout, tracer=tracer
        )
        return Store(database, limits)
    if migrate:
        apply_migrations(url)
    elif migrate is None:
        pending = pending_migrations(url)
        if pending:
            raise SchemaNotMigrated(
                f"{url.redacted} has {len(pending)} pending migration(s) "
                f"({', '.join(pending)}); "
                "run `convstore --url URL migrate` (or `make migrate CONVSTORE_URL=URL`) "
                "with this database's URL, or connect with migrate=True"
            )
    return Store(PostgresDatabase(url, pool_options, tracer=tracer), limits)


async def connect_async(
    url: str | DatabaseURL | None = None,
    *,
    migrate: bool | None = None,
    tracer: Tracer | None = None,
    limits: Limits = DEFAULT_LIMITS,
    **options: Any,
) -> AsyncStore:
    """:func:`connect` for ``asyncio``: the same arguments, defaults and
    errors, and an :class:`~convstore.store.AsyncStore`. Opening (migrating,
    the pool's first connections) runs in a thread, never on the event loop's;
    if the ``await`` is cancelled, a store opened meanwhile is closed.

    :raises TypeError: for an option :class:`~convstore.PoolOptions` does not have.
    :raises ConvstoreError: as :func:`connect` raises them.
    """
    loop = asyncio.get_running_loop()
    opening = loop.run_in_executor(
        None,
        functools.partial(connect, url, migrate=migrate, tracer=tracer, limits=limits, **options),
    )
    try:
        store = await asyncio.shield(opening)
    except asyncio.CancelledError:
        opening.add_done_callback(_close_if_opened)
        raise
    return AsyncStore(store)


def _close_if_opened(opening: asyncio.Future[Store]) -> None:
    """Close, in a thread of its own, a store opened for an ``await`` that was
    cancelled (the loop's executor may be shutting down by then)."""
    if not opening.cancelled() and opening.exception() is None:
        threading.Thread(target=opening.result().close, name="convstore-close").start()


def _pool_options(options: dict[str, Any]) -> PoolOptions:
    unknown = set(options) - {field.name for field in fields(PoolOptions)}
    if unknown:
        raise TypeError(
            f"connect() got unknown options {', '.join(sorted(unknown))}; it takes those of "
            f"convstore.PoolOptions ({', '.join(f.name for f in fields(PoolOptions))})"
        )
    return PoolOptions(**options)
