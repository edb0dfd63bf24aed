"""Schema migrations: ``migrations/<dialect>/`` applied by yoyo.

Opening a database must never wedge, so migrating goes in this order:

1. What is applied is read first, without yoyo's lock and writing nothing
   (the file may be read-only, another process may hold SQLite's write lock).
   When nothing is pending, nothing is written and no lock is taken.
2. A migration recorded in the database that this version does not know (a
   newer convstore migrated it) is an error, never "up to date".
3. Only when something is pending is yoyo's lock taken -- convstore writes the
   row yoyo itself writes (``yoyo_lock``: the holder's pid and the time), so
   yoyo's command line and convstore exclude each other -- and what to apply
   is decided again inside it, so two processes migrating at once both
   succeed and each migration runs once. Each migration is recorded in the
   transaction that applies it, so a killed run leaves none half-recorded.
4. A lock left behind by a run that died is stale and is cleared (see
   :data:`STALE_LOCK_AGE`): nobody has to run ``yoyo break-lock``.
5. Every sqlite3, psycopg or yoyo error becomes a :mod:`convstore.errors` type
   whose message says what to do.

yoyo's own CLI waits only 10 s for its lock, decides what to apply before
taking it, and retries any failed write to its lock row (a read-only file, a
missing privilege) until its timeout, as if the lock were held.
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict
from yoyo import read_migrations
from yoyo.backends import PostgresqlPsycopgBackend, SQLiteBackend
from yoyo.connections import DatabaseURI
from yoyo.exceptions import BadMigration, LockTimeout, MigrationConflict
from yoyo.migrations import MigrationList, default_migration_table, topological_sort

from . import validation
from .db import sql_functions
from .db.bare import run_on_connection
from .db.opening import postgres_error, sqlite_error, sqlite_file
from .errors import (
    ConfigurationError,
    ConvstoreError,
    DatabaseUnavailable,
    ReadOnlyDatabase,
    SchemaNotMigrated,
    SchemaTooNew,
)
from .sqlfiles.catalog import catalogue
from .sqlfiles.parser import Query
from .sqlfiles.resources import migrations_dir
from .types import SQLITE
from .urls import DatabaseURL, sqlite_uri

logger = logging.getLogger("convstore")

LOCK_TIMEOUT = 300.0
"""Seconds to wait for another process's migration run to finish (and, on
SQLite, for another connection's write lock during migration work)."""

STALE_LOCK_AGE = 3600.0
"""A migration lock older than this many seconds is stale: no migration of
convstore's runs for an hour. On SQLite a lock is also stale as soon as the
process that took it no longer exists on this host (a SQLite file's writers
share its host; the check does not see across PID namespaces, so containers
sharing one file rely on the age alone only if their PIDs never collide). On
PostgreSQL the lock may come from any host, so only its age counts."""

CONNECT_TIMEOUT = 10.0
"""Seconds a new PostgreSQL connection of the migration code may take."""

_POLL_INTERVAL = 0.5
_OWNER_ADVICE = (
    "migrations must run as the owner of convstore's tables: run `convstore migrate` "
    "with the owner's URL, and connect the application role with migrate=False (it "
    "needs only the privileges to read and write the conversations and messages tables; "
    "given read access to yoyo's _yoyo_migration table too, connect() can also check "
    "that the schema is current)"
)


@dataclass(frozen=True)
class _Schema:
    """What the database records as applied, against the migrations this version knows."""

    applied: tuple[str, ...] | None
    """Applied migration ids; ``None`` when yoyo's bookkeeping tables are in an
    older format that only yoyo itself (under its lock) can read."""
    pending: tuple[str, ...]
    unknown: tuple[str, ...]
    """Applied ids this version does not know: a newer convstore migrated it."""


def migrate(
    url: str | DatabaseURL | None = None, *, lock_timeout: float = LOCK_TIMEOUT
) -> list[str]:
    """Apply every pending migration; return the ids applied (empty when up to
    date, in which case nothing is written and no lock is taken). ``url`` is a
    URL string or a :class:`~convstore.urls.DatabaseURL`; by default
    ``CONVSTORE_URL``, then ``DATABASE_URL``, then ``sqlite:///conversations.db``
    (:meth:`~convstore.urls.DatabaseURL.resolve`).

    :raises SchemaTooNew: if the database holds migrations this version of
        convstore does not know (a newer one migrated it).
    :raises SchemaNotMigrated: for a read-only SQLite file with migrations pending.
    :raises ConfigurationError: for a URL convstore cannot use, a directory that
        does not exist, a wrong host, database, user or password, or a role
        that may not migrate (migrate as the tables' owner).
    :raises DatabaseUnavailable: if the database cannot be reached, another
        run holds the migration lock (and is alive) for longer than
        ``lock_timeout`` seconds, or another connection holds SQLite's write
        lock that long.
    :raises DatabaseError: if a migration fails; it is rolled back and not recorded.
    """
    url = DatabaseURL.resolve(url)
    applied = _under_lock(
        url,
        lock_timeout,
        nothing_to_do=lambda schema: not schema.pending,
        read_only_refusal=lambda schema: _migrate_elsewhere(
            f"needs migrations ({', '.join(schema.pending) or 'to be read'})"
        ),
        plan=lambda backend, migrations: backend.to_apply(migrations),
        step=lambda backend, migration: _recorded_with_it(backend, migration, "apply"),
        doing="applying",
        after=lambda backend, done: backend.run_post_apply(done),
    )
    if applied:
        logger.info("migrated %s: %s", url.redacted, ", ".join(applied))
    return applied


def rollback(
    url: str | DatabaseURL | None = None, *, lock_timeout: float = LOCK_TIMEOUT
) -> list[str]:
    """Roll back every applied migration, newest first; return their ids.
    This drops convstore's tables and everything in them. ``url`` as :func:`migrate`.

    :raises SchemaTooNew: if the database holds migrations this version
        does not know (roll those back with the convstore that applied them
        first).
    :raises ReadOnlyDatabase: for a read-only SQLite file.
    :raises ConfigurationError: as :func:`migrate`.
    :raises DatabaseUnavailable: as :func:`migrate`.
    :raises DatabaseError: if a rollback step fails.
    """
    url = DatabaseURL.resolve(url)
    rolled_back = _under_lock(
        url,
        lock_timeout,
        nothing_to_do=lambda schema: not schema.applied,
        read_only_refusal=lambda schema: ReadOnlyDatabase(
            "it cannot be rolled back here (that writes to it); nothing was changed"
        ),
        plan=lambda backend, migrations: backend.to_rollback(migrations),
        step=lambda backend, migration: _recorded_with_it(backend, migration, "rollback"),
        doing="rolling back",
    )
    if rolled_back:
        logger.info("rolled back %s: %s", url.redacted, ", ".join(rolled_back))
    return rolled_back


def _under_lock(
    url: DatabaseURL,
    lock_timeout: float,
    *,
    nothing_to_do: Callable[[_Schema], bool],
    read_only_refusal: Callable[[_Schema], ConvstoreError],
    plan: Callable[[Any, Any], list],
    step: Callable[[Any, Any], None],
    doing: str,
    after: Callable[[Any, list], None] = lambda backend, done: None,
) -> list[str]:
    """Read what is applied (no lock, nothing written); if there is work,
    take yoyo's lock, plan inside it and do each step; return the ids done."""
    migrations = _known_migrations(url.dialect)
    lock_timeout = validation.seconds("lock_timeout", lock_timeout)
    with _translated(url, lock_timeout):
        schema = _read_schema(url, migrations, busy_timeout=lock_timeout)
        _refuse_unknown(url, schema.unknown)
        if schema.applied is not None and nothing_to_do(schema):
            logger.debug("%s: nothing to do", url.redacted)
            return []
        _refuse_read_only(url, read_only_refusal(schema))
        with _locked(url, lock_timeout) as (backend, bookkeeping):
            _refuse_unknown(url, _unknown(_applied_ids(bookkeeping, url), migrations))
            planned = plan(backend, migrations)
            for migration in planned:
                with _translated(url, lock_timeout, doing=f"{doing} {migration.id}"):
                    with _yoyo_output_logged():
                        step(backend, migration)
            after(backend, planned)
    return [migration.id for migration in planned]


def _recorded_with_it(backend: Any, migration: Any, direction: str) -> None:
    """Apply or roll back ``migration`` and record that in yoyo's tables in
    one transaction, so a run killed at any moment leaves it done and recorded
    or neither. (yoyo's own ``apply_one`` runs it on a second connection and
    records it afterwards: a run killed in between left it applied but not
    recorded, and every later run failed on "duplicate column name".) A
    migration that cannot run in a transaction (``-- transactional: false``,
    for ``CREATE INDEX CONCURRENTLY``) runs first, on its own, and is written
    to be run again.
    """
    backend.ensure_internal_schema_updated()
    if not migration.use_transactions:
        migration.process_steps(backend, direction)
    with backend.transaction():
        if migration.use_transactions:
            migration.process_steps(backend, direction)  # a savepoint inside this transaction
        if direction == "apply":
            backend.mark_one(migration, log=False)
        else:
            backend.unmark_one(migration, log=False)
        backend.log_migration(migration, direction)


def pending_migrations(url: str | DatabaseURL | None = None) -> list[str]:
    """The ids of the migrations not yet applied to the database (``url`` as
    :func:`migrate`). Read-only: takes no lock and writes nothing (also on a
    read-only SQLite file).

    :raises SchemaTooNew: if the database holds migrations this version
        of convstore does not know (a newer one migrated it).
    :raises ConfigurationError: for a URL convstore cannot use, a database
        that does not exist, or a role that may not read yoyo's table
        ``_yoyo_migration`` (connect such a role with ``migrate=False``).
    :raises DatabaseUnavailable: if the database cannot be reached.
    """
    url = DatabaseURL.resolve(url)
    migrations = _known_migrations(url.dialect)
    with _translated(url, LOCK_TIMEOUT):
        schema = _read_schema(url, migrations, busy_timeout=LOCK_TIMEOUT)
        _refuse_unknown(url, schema.unknown)
        if schema.applied is not None:
            return list(schema.pending)
        # yoyo's bookkeeping is in an older format: let yoyo upgrade it.
        _refuse_read_only(
            url,
            _migrate_elsewhere(
                "keeps yoyo's bookkeeping in an older format, which yoyo must upgrade"
            ),
        )
        with _locked(url, LOCK_TIMEOUT) as (backend, _):
            return [migration.id for migration in backend.to_apply(migrations)]


def holds_migrations(url: str | DatabaseURL | None = None) -> bool:
    """Whether any of convstore's migrations has been applied to the
    database (``url`` as :func:`migrate`): whether it is a convstore
    database, perhaps an older one, rather than a new or another
    application's. Read-only, as :func:`pending_migrations`.

    :raises ConfigurationError: as :func:`pending_migrations`.
    :raises DatabaseUnavailable: if the database cannot be reached.
    """
    url = DatabaseURL.resolve(url)
    migrations = _known_migrations(url.dialect)
    with _translated(url, LOCK_TIMEOUT):
        schema = _read_schema(url, migrations, busy_timeout=LOCK_TIMEOUT)
    known = {migration.id for migration in migrations}
    return schema.applied is None or any(applied in known for applied in schema.applied)


# -- reading the schema without a lock ---------------------------------------------


def _known_migrations(dialect: str) -> MigrationList:
    try:
        return read_migrations(str(migrations_dir(dialect)))
    except (OSError, BadMigration, MigrationConflict) as error:
        raise ConfigurationError(
            f"convstore's {dialect} migrations cannot be read ({error}); reinstall convstore"
        ) from error


def _read_schema(url: DatabaseURL, migrations: MigrationList, *, busy_timeout: float) -> _Schema:
    with _bookkeeping_connection(url, busy_timeout) as connection:
        # No connection: a SQLite file that does not exist yet.
        applied = [] if connection is None else _applied_ids(connection, url)
    if applied is None:
        return _Schema(applied=None, pending=(), unknown=())
    done = set(applied)
    pending = topological_sort(m for m in migrations if m.id not in done)
    return _Schema(
        applied=tuple(applied),
        pending=tuple(migration.id for migration in pending),
        unknown=_unknown(applied, migrations),
    )


def _applied_ids(connection: Any, url: DatabaseURL) -> list[str] | None:
    """Applied migration ids; ``[]`` before yoyo's first run, ``None`` if its
    bookkeeping predates yoyo's current table format (yoyo upgrades it)."""
    try:
        rows = run_on_connection(connection, _query(url.dialect, "applied_migrations"))
    except (
        sqlite3.OperationalError,
        psycopg.errors.UndefinedTable,
        psycopg.errors.UndefinedColumn,
    ) as error:
        if isinstance(error, psycopg.errors.UndefinedTable) or "no such table" in str(error):
            return []
        if isinstance(error, psycopg.errors.UndefinedColumn) or "no such column" in str(error):
            return None
        raise
    return [row["migration_id"] for row in rows]


def _unknown(applied: Sequence[str] | None, migrations: MigrationList) -> tuple[str, ...]:
    known = {migration.id for migration in migrations}
    return tuple(migration_id for migration_id in applied or () if migration_id not in known)


def _refuse_unknown(url: DatabaseURL, unknown: Sequence[str]) -> None:
    if unknown:
        raise SchemaTooNew(
            f"{url.redacted} was migrated by a newer convstore: it holds "
            f"{len(unknown)} migration(s) this version does not know ({', '.join(unknown)}); "
            "upgrade convstore (or roll those migrations back with the version that applied them)"
        )


def _refuse_read_only(url: DatabaseURL, refusal: ConvstoreError) -> None:
    """Fail at once with ``refusal``, its message led by the file and why it is
    read-only, rather than wait for a lock a read-only file can never give."""
    if url.dialect != SQLITE:
        return
    database = sqlite_file(url.sqlite_path)
    if database.read_only:
        where = f"the SQLite database {database.path!r} is read-only ({database.read_only_reason})"
        raise type(refusal)(f"{where}: {refusal}")


def _migrate_elsewhere(needs: str) -> SchemaNotMigrated:
    return SchemaNotMigrated(
        f"it {needs}: run `convstore migrate` where it is writable; once it is current "
        "it opens read-only here"
    )


# -- connections, and yoyo's backends ----------------------------------------------


@contextmanager
def _bookkeeping_connection(url: DatabaseURL, busy_timeout: float) -> Iterator[Any]:
    """A plain driver connection (autocommit) for convstore's own statements on
    yoyo's tables; ``None`` for a SQLite file that does not exist yet. A SQLite
    file that may be written is opened for writing even to be read: a run
    killed mid-migration leaves a hot journal, which only a connection that
    may write can roll back (a read-only one fails with "attempt to write a
    readonly database")."""
    if url.dialect == SQLITE:
        database = sqlite_file(url.sqlite_path)
        if not database.exists:
            yield None
            return
        connection: sqlite3.Connection | psycopg.Connection = database.connect(busy_timeout)
    else:
        connection = psycopg.connect(url.conninfo, autocommit=True, **_connect_timeout(url))
    try:
        yield connection
    finally:
        connection.close()


def _connect_timeout(url: DatabaseURL) -> dict[str, Any]:
    given = conninfo_to_dict(url.conninfo)
    return {} if "connect_timeout" in given else {"connect_timeout": round(CONNECT_TIMEOUT)}


class _LockHeldByCaller:
    """yoyo takes its lock again around an upgrade of its own tables; convstore
    has taken it already (:func:`_locked`), so here that is a no-op."""

    @contextmanager
    def lock(self, timeout: float = 10) -> Iterator[None]:
        yield


class _SQLiteBackend(_LockHeldByCaller, SQLiteBackend):
    """yoyo's SQLite backend opening the file convstore opens (the decoded path,
    percent-encoded into the URI) with convstore's busy timeout."""

    def connect(self, dburi: DatabaseURI) -> sqlite3.Connection:
        uri = sqlite_uri(dburi.database) + "?cache=shared"
        connection = self.driver.connect(
            uri,
            uri=True,
            timeout=float(dburi.args["busy_timeout"]),
            detect_types=self.driver.PARSE_DECLTYPES,
        )
        connection.isolation_level = None
        sql_functions.register(connection)
        return connection


class _PostgresBackend(_LockHeldByCaller, PostgresqlPsycopgBackend):
    """yoyo's psycopg backend connecting with the conninfo psycopg reads from the
    URL (yoyo's own parse keeps percent-escapes in the database name and host)."""

    def connect(self, dburi: DatabaseURI) -> psycopg.Connection:
        arguments = dict(dburi.args)
        conninfo = arguments.pop("conninfo")
        return self.driver.connect(conninfo, autocommit=True, **arguments)


def _backend(url: DatabaseURL, busy_timeout: float) -> SQLiteBackend | PostgresqlPsycopgBackend:
    """yoyo's backend on ``url``, its lock table created if missing."""
    backend: SQLiteBackend | PostgresqlPsycopgBackend
    if url.dialect == SQLITE:
        args = {"busy_timeout": str(busy_timeout)}
        target = DatabaseURI("sqlite", None, None, None, None, url.sqlite_path, args)
        backend = _SQLiteBackend(target, default_migration_table)
    else:
        args = {"conninfo": url.conninfo, **_connect_timeout(url)}
        database = conninfo_to_dict(url.conninfo).get("dbname")
        target = DatabaseURI("postgresql+psycopg", None, None, None, None, database, args)
        backend = _PostgresBackend(target, default_migration_table)
    try:
        backend.init_database()  # creates yoyo_lock if missing
    except BaseException:
        backend.connection.close()
        raise
    return backend


# -- the migration lock ------------------------------------------------------------

_turns: dict[str, threading.Lock] = {}
_turns_guard = threading.Lock()


@contextmanager
def _locked(url: DatabaseURL, timeout: float) -> Iterator[tuple[Any, Any]]:
    """yoyo's migration lock on ``url``, with a backend to migrate with and a
    plain connection for convstore's statements on yoyo's tables.

    Threads of this process take turns first, so a lock row holding this
    process's id is, for the thread whose turn it is, one left behind.
    """
    deadline = time.monotonic() + timeout
    with _turn(url, deadline):
        backend = _backend(url, timeout)  # creates the file and yoyo_lock if missing
        try:
            with _bookkeeping_connection(url, timeout) as bookkeeping:
                holder = _take_lock(bookkeeping, url, deadline, timeout)
                try:
                    yield backend, bookkeeping
                except BaseException:
                    _release_lock(bookkeeping, url, holder, timeout, quietly=True)
                    raise
                _release_lock(bookkeeping, url, holder, timeout, quietly=False)
        finally:
            backend.connection.close()


@contextmanager
def _turn(url: DatabaseURL, deadline: float) -> Iterator[None]:
    key = _lock_key(url)
    with _turns_guard:
        turn = _turns.setdefault(key, threading.Lock())
    if not turn.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise DatabaseUnavailable(
            f"another thread of this process kept migrating {url.redacted} for longer "
            "than the lock timeout; retry later"
        )
    try:
        yield
    finally:
        turn.release()


def _lock_key(url: DatabaseURL) -> str:
    if url.dialect == SQLITE:
        return "sqlite:" + os.path.realpath(url.sqlite_path)
    return url.redacted


def _take_lock(
    connection: Any, url: DatabaseURL, deadline: float, timeout: float
) -> dict[str, Any]:
    dialect = url.dialect
    while True:
        mine = {"pid": os.getpid(), "ctime": _now(dialect)}
        try:
            run_on_connection(connection, _query(dialect, "take_migration_lock"), **mine)
            return mine
        except (sqlite3.IntegrityError, psycopg.errors.UniqueViolation):
            pass  # held: see by whom
        holders = run_on_connection(connection, _query(dialect, "migration_lock"))
        if not holders:
            continue  # released meanwhile
        holder = holders[0]
        stale = _staleness(holder, dialect)
        if stale:
            logger.warning(
                "clearing the stale migration lock of %s (process %s: %s)",
                url.redacted,
                holder["pid"],
                stale,
            )
            run_on_connection(connection, _query(dialect, "release_migration_lock"), **holder)
            continue
        if time.monotonic() >= deadline:
            raise DatabaseUnavailable(
                f"process {holder['pid']} has held the migration lock of {url.redacted} "
                f"since {holder['ctime']} UTC, and still did after {timeout:g}s. If no "
                "migration is running, the lock is cleared automatically once "
                f"{STALE_LOCK_AGE:g}s old (or, on SQLite, once that process is gone), "
                "or at once with `yoyo break-lock`"
            )
        time.sleep(min(_POLL_INTERVAL, max(0.0, deadline - time.monotonic())))


def _release_lock(
    connection: Any, url: DatabaseURL, holder: dict[str, Any], timeout: float, *, quietly: bool
) -> None:
    """Delete our lock row. If that fails (another connection kept SQLite's write
    lock past the busy timeout, the server went away), the row is left to the
    stale-lock rules; ``quietly`` (another error is on its way up) only logs."""
    try:
        with _translated(url, timeout, doing="releasing the migration lock"):
            run_on_connection(connection, _query(url.dialect, "release_migration_lock"), **holder)
    except ConvstoreError as error:
        if not quietly:
            raise
        logger.warning("could not release the migration lock of %s: %s", url.redacted, error)


def _staleness(holder: dict[str, Any], dialect: str) -> str | None:
    """Why the lock ``holder`` took is stale, or ``None`` if it may be alive."""
    age = _age(holder["ctime"])
    if age is not None and age > STALE_LOCK_AGE:
        return f"taken {age:.0f}s ago, longer than any migration runs"
    if dialect != SQLITE:
        return None
    pid = holder["pid"]
    if pid == os.getpid():
        return "taken by this process in a run that failed to release it"
    if not _process_exists(pid):
        return "that process no longer exists"
    return None


def _now(dialect: str) -> datetime | str:
    """Now, as yoyo writes it: UTC without a time zone (ISO 8601 text on SQLite)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return now.isoformat() if dialect == SQLITE else now


def _age(ctime: Any) -> float | None:
    if isinstance(ctime, str):
        try:
            ctime = datetime.fromisoformat(ctime)
        except ValueError:
            return None
    if not isinstance(ctime, datetime):
        return None
    if ctime.tzinfo is not None:
        ctime = ctime.astimezone(timezone.utc).replace(tzinfo=None)
    return (datetime.now(timezone.utc).replace(tzinfo=None) - ctime).total_seconds()


def _process_exists(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but belongs to another user
        return True
    return True


# -- statements and errors ---------------------------------------------------------


def _query(dialect: str, name: str) -> Query:
    return catalogue(dialect)[f"migrate.{name}"]


@contextmanager
def _translated(
    url: DatabaseURL, busy_timeout: float, *, doing: str | None = None
) -> Iterator[None]:
    """Driver and yoyo errors as :mod:`convstore.errors` types; ``doing`` says
    what was under way."""
    try:
        yield
    except ConvstoreError:
        raise
    except sqlite3.Error as error:
        translated = sqlite_error(error, url.sqlite_path, busy_timeout=busy_timeout)
        raise _prefixed(translated, doing) from error
    except psycopg.errors.InsufficientPrivilege as error:
        raise ConfigurationError(
            _prefix(doing)
            + f"PostgreSQL {url.redacted}: {error.diag.message_primary or error}: {_OWNER_ADVICE}"
        ) from error
    except psycopg.Error as error:
        raise _prefixed(postgres_error(error, url), doing) from error
    except (BadMigration, MigrationConflict) as error:
        raise ConfigurationError(
            f"{_prefix(doing)}convstore's migrations cannot be used ({error}); reinstall convstore"
        ) from error
    except LockTimeout as error:  # yoyo's own lock, should another path take it
        raise DatabaseUnavailable(f"{_prefix(doing)}{error}") from error


def _prefix(doing: str | None) -> str:
    return f"{doing}: " if doing else ""


def _prefixed(error: ConvstoreError, doing: str | None) -> ConvstoreError:
    return type(error)(f"{_prefix(doing)}{error}") if doing else error


@contextmanager
def _yoyo_output_logged() -> Iterator[None]:
    """yoyo prints any rows a migration statement returns (SQLite's ADD COLUMN
    with a CHECK returns an empty result); send them to the log instead."""
    printed = io.StringIO()
    with redirect_stdout(printed):
        yield
    if printed.getvalue().strip():
        logger.debug("yoyo printed: %s", printed.getvalue())
