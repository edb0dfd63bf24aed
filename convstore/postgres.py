"""PostgreSQL: psycopg 3 connections from a ``psycopg_pool.ConnectionPool``.

Connections are in autocommit mode, so a lone read never leaves a session
"idle in transaction"; :meth:`PostgresDatabase.transaction` wraps calls in
``BEGIN``/``COMMIT`` (savepoints when nested). Each checkout is checked first
(``ConnectionPool.check_connection``), so a server restart costs no failed request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool, PoolTimeout

from .database import IDEMPOTENCY_INDEX, Database, Tracer
from .errors import (
    ConfigurationError,
    DatabaseError,
    DatabaseUnavailable,
    DuplicateIdempotencyKey,
    InvalidInput,
    SchemaNotMigrated,
)
from .sqlfile import POSTGRES, Query
from .urls import psycopg_conninfo, redact
from .values import row_dicts


class PostgresDatabase(Database):
    dialect = POSTGRES

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 30.0,
        statement_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        text_search_config: str = "english",
        prepare: bool = True,
        tracer: Tracer | None = None,
    ) -> None:
        """Open the pool and wait until ``min_size`` connections are ready.

        ``timeout`` bounds both that wait and each later wait for a free
        connection. The server cancels any statement running longer than
        ``statement_timeout`` seconds, and a new connection gives up after
        ``connect_timeout``: a stuck server cannot hang a call for ever.
        ``text_search_config`` parses search queries ('english' stems words;
        'simple' matches them as written).
        ``prepare=False`` turns off server-side prepared statements, which
        PgBouncer in transaction-pooling mode needs unless it is 1.22 or newer
        with ``max_prepared_statements`` set.

        :raises DatabaseUnavailable: if the server cannot be reached in time.
        """
        super().__init__(tracer=tracer)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", text_search_config):
            raise ConfigurationError(
                f"{text_search_config!r} is not a text search configuration name"
            )
        connection_settings: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": max(1, round(connect_timeout)),
            # Timestamps arrive in UTC, so no conversion is needed per value.
            "options": (
                f"-c TimeZone=UTC -c statement_timeout={round(statement_timeout * 1000)} "
                f"-c default_text_search_config={text_search_config}"
            ),
        }
        if not prepare:
            connection_settings["prepare_threshold"] = None
        self.pool = ConnectionPool(
            psycopg_conninfo(url),
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            check=ConnectionPool.check_connection,
            kwargs=connection_settings,
            name="convstore",
        )
        try:
            self.pool.open(wait=True, timeout=timeout)
        except PoolTimeout as error:
            self.pool.close()
            raise DatabaseUnavailable(
                f"could not connect to PostgreSQL at {redact(url)} within {timeout}s; "
                "is the server running and the URL right?"
            ) from error

    @contextmanager
    def user_scope(self, user_id: str) -> Iterator[None]:
        """A transaction in which the row-level security policies (migration
        pg_0006) let this session see only ``user_id``'s rows. The setting is
        transaction-local, so it never outlives the block on a pooled connection."""
        with self.transaction():
            self.run("set_user_scope", user_id=user_id)
            yield

    def checkout(self) -> AbstractContextManager[psycopg.Connection]:
        return self.pool.connection()

    @contextmanager
    def begin(self, connection: psycopg.Connection, *, write: bool) -> Iterator[None]:
        """A write transaction at the server's default level; a read one at
        REPEATABLE READ, so its statements all see one snapshot."""
        if write:
            with connection.transaction():
                yield
            return
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        try:
            with connection.transaction():
                yield
        finally:
            connection.isolation_level = None

    def savepoint(self, connection: psycopg.Connection) -> AbstractContextManager:
        return connection.transaction()

    @staticmethod
    def execute(
        connection: psycopg.Connection, query: Query, params: Mapping[str, Any]
    ) -> list[dict]:
        with connection.cursor() as cursor:
            cursor.execute(query.statement, params)
            return _rows(cursor)

    @staticmethod
    @contextmanager
    def translate_errors() -> Iterator[None]:
        try:
            yield
        except PoolTimeout as error:
            raise DatabaseUnavailable(f"no PostgreSQL connection became free: {error}") from error
        except psycopg.errors.UndefinedTable as error:
            raise SchemaNotMigrated(
                f"{error.diag.message_primary}: the database is not migrated; run "
                "`convstore migrate` (or `make migrate`)"
            ) from error
        except psycopg.errors.UniqueViolation as error:
            if error.diag.constraint_name == IDEMPOTENCY_INDEX:
                raise DuplicateIdempotencyKey(error.diag.message_primary) from error
            raise InvalidInput(
                f"the database rejected the values: {error.diag.message_primary}"
            ) from error
        except (psycopg.IntegrityError, psycopg.DataError) as error:
            raise InvalidInput(
                f"the database rejected the values: {error.diag.message_primary or error}"
            ) from error
        except psycopg.OperationalError as error:
            raise DatabaseUnavailable(f"PostgreSQL: {error}") from error
        except psycopg.Error as error:
            raise DatabaseError(f"PostgreSQL: {error}") from error

    def close(self) -> None:
        self.pool.close()


def _rows(cursor: psycopg.Cursor) -> list[dict]:
    if cursor.description is None:
        return []
    return row_dicts([column.name for column in cursor.description], cursor.fetchall())
