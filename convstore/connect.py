"""Opening a :class:`~convstore.store.Store` from a database URL."""

from __future__ import annotations

from .database import Tracer
from .errors import SchemaNotMigrated
from .migrate import migrate as apply_migrations
from .migrate import pending_migrations
from .postgres import PostgresDatabase
from .sqlfile import SQLITE
from .sqlite import SQLiteDatabase
from .store import Store
from .urls import dialect_of, redact, resolve_url, sqlite_path
from .validation import DEFAULT_LIMITS, Limits


def connect(
    url: str | None = None,
    *,
    migrate: bool | None = None,
    min_size: int = 1,
    max_size: int = 10,
    timeout: float = 30.0,
    statement_timeout: float = 30.0,
    connect_timeout: float = 10.0,
    text_search_config: str = "english",
    prepare: bool = True,
    tracer: Tracer | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Store:
    """Open a store on ``url`` (default: ``CONVSTORE_URL``, then ``DATABASE_URL``,
    then ``sqlite:///conversations.db``).

    ``migrate``: by default a SQLite database is migrated on first use, and a
    PostgreSQL database is only checked (pending migrations raise
    :class:`SchemaNotMigrated` naming ``make migrate``). ``True`` applies pending
    migrations on either; ``False`` neither applies nor checks.

    ``max_size`` bounds the pool (PostgreSQL connections, or SQLite connections
    to the file); ``min_size`` connections to PostgreSQL are opened at once.
    ``timeout`` is how long a call waits for a free connection or, on SQLite, for
    the write lock. On PostgreSQL the server cancels a statement after
    ``statement_timeout`` seconds and a new connection gives up after
    ``connect_timeout``, and search queries are parsed with
    ``text_search_config``. ``prepare=False`` turns off server-side prepared
    statements (for PgBouncer in transaction-pooling mode). ``tracer`` sees
    every statement. ``limits`` caps the size of what is stored
    (:class:`~convstore.validation.Limits`: 8 MiB of text, 1 MiB of JSON).

    :raises DatabaseUnavailable: if the database cannot be reached.
    :raises ConfigurationError: for a URL convstore cannot use.
    """
    url = resolve_url(url)
    if dialect_of(url) == SQLITE:
        path = sqlite_path(url)
        if migrate is not False:
            apply_migrations(url)
        database = SQLiteDatabase(path, max_size=max_size, busy_timeout=timeout, tracer=tracer)
        return Store(database, limits)
    if migrate:
        apply_migrations(url)
    elif migrate is None:
        pending = pending_migrations(url)
        if pending:
            raise SchemaNotMigrated(
                f"{redact(url)} has {len(pending)} pending migration(s) ({', '.join(pending)}); "
                "run `make migrate` (or `convstore migrate`), or connect with migrate=True"
            )
    database = PostgresDatabase(
        url,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        statement_timeout=statement_timeout,
        connect_timeout=connect_timeout,
        text_search_config=text_search_config,
        prepare=prepare,
        tracer=tracer,
    )
    return Store(database, limits)
