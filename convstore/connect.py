"""Opening a :class:`~convstore.store.Store` from a database URL."""

from __future__ import annotations

from . import validation
from .database import Tracer
from .errors import ConfigurationError, SchemaNotMigrated
from .migrate import migrate as apply_migrations
from .migrate import pending_migrations
from .opening import sqlite_file
from .postgres import PostgresDatabase
from .sqlfile import SQLITE
from .sqlite import SQLiteDatabase
from .store import Store
from .urls import DatabaseURL
from .validation import DEFAULT_LIMITS, Limits


def connect(
    url: str | DatabaseURL | None = None,
    *,
    migrate: bool | None = None,
    min_size: int = 1,
    max_size: int = 10,
    timeout: float = 30.0,
    statement_timeout: float = 30.0,
    connect_timeout: float = 10.0,
    prepare: bool = True,
    transaction_pooling: bool = False,
    tracer: Tracer | None = None,
    limits: Limits = DEFAULT_LIMITS,
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

    ``max_size`` bounds the pool (PostgreSQL connections, or SQLite connections
    to the file); ``min_size`` connections to PostgreSQL are opened at once.
    ``timeout`` is how long a call waits for a free connection or, on SQLite, for
    the write lock. On PostgreSQL the server cancels a statement after
    ``statement_timeout`` seconds and a new connection gives up after
    ``connect_timeout``. ``prepare=False`` turns off server-side prepared
    statements. ``transaction_pooling=True`` is for a proxy that hands each
    transaction to any server session (PgBouncer's ``pool_mode =
    transaction``): no prepared statements, and user scopes that live in the
    transaction rather than the session (see the README's "Isolation"). A
    PostgreSQL database is connected to once before the pool opens, so a
    wrong URL or setting fails at once. ``tracer`` sees
    every statement. ``limits`` caps the size of what is stored
    (:class:`~convstore.validation.Limits`: 8 MiB of text, 1 MiB of JSON).

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
    _check_settings(
        migrate=migrate,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        statement_timeout=statement_timeout,
        connect_timeout=connect_timeout,
        limits=limits,
    )
    if url.dialect == SQLITE:
        path = url.sqlite_path
        sqlite_file(path)  # a missing directory is reported before anything else
        if migrate is not False:
            apply_migrations(url)
        return Store(
            SQLiteDatabase(path, max_size=max_size, busy_timeout=timeout, tracer=tracer), limits
        )
    if migrate:
        apply_migrations(url)
    elif migrate is None:
        pending = pending_migrations(url)
        if pending:
            raise SchemaNotMigrated(
                f"{url.redacted} has {len(pending)} pending migration(s) "
                f"({', '.join(pending)}); "
                "run `make migrate` (or `convstore migrate`), or connect with migrate=True"
            )
    postgres = PostgresDatabase(
        str(url),  # PostgresDatabase takes the text of the URL
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        statement_timeout=statement_timeout,
        connect_timeout=connect_timeout,
        prepare=prepare,
        transaction_pooling=transaction_pooling,
        tracer=tracer,
    )
    return Store(postgres, limits)


def _check_settings(
    *,
    migrate: object,
    min_size: object,
    max_size: object,
    timeout: object,
    statement_timeout: object,
    connect_timeout: object,
    limits: object,
) -> None:
    """Reject settings the pools would reject later (or wait on for ever)."""
    if migrate not in (None, True, False):
        raise ConfigurationError(
            f"migrate must be None, True or False, not {validation.show(migrate)}"
        )
    for name, size, least in (("min_size", min_size, 0), ("max_size", max_size, 1)):
        if isinstance(size, bool) or not isinstance(size, int) or size < least:
            raise ConfigurationError(
                f"{name} must be a whole number >= {least}, not {validation.show(size)}"
            )
    if min_size > max_size:  # type: ignore[operator]
        raise ConfigurationError(f"min_size ({min_size}) is larger than max_size ({max_size})")
    validation.seconds("timeout", timeout)
    validation.seconds("statement_timeout", statement_timeout)
    validation.seconds("connect_timeout", connect_timeout)
    if not isinstance(limits, Limits):
        raise ConfigurationError(
            f"limits must be a convstore.Limits, not {validation.show(limits)}"
        )
