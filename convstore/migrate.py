"""Schema migrations: ``migrations/<dialect>/`` applied by yoyo.

yoyo's own CLI waits only 10 s for its lock and decides what to apply before
taking it; here the pending set is computed inside the lock, with a generous
timeout, so two processes migrating at once both succeed and each migration
runs once.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout

import psycopg
from yoyo import get_backend, read_migrations
from yoyo.exceptions import LockTimeout

from .errors import DatabaseUnavailable
from .resources import migrations_dir
from .urls import dialect_of, redact, resolve_url, yoyo_url

logger = logging.getLogger("convstore")

LOCK_TIMEOUT = 300.0
"""Seconds to wait for another process's migration run to finish."""


def migrate(url: str | None = None, *, lock_timeout: float = LOCK_TIMEOUT) -> list[str]:
    """Apply every pending migration; return the ids applied (empty when up to date).

    :raises DatabaseUnavailable: if the database cannot be reached, or another
        run holds the lock for longer than ``lock_timeout`` seconds.
    """
    url = resolve_url(url)
    migrations = read_migrations(str(migrations_dir(dialect_of(url))))
    with _backend(url) as backend, _locked(backend, lock_timeout), _yoyo_output_logged():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    applied = [migration.id for migration in pending]
    logger.info("migrated %s: %s", redact(url), ", ".join(applied) or "already up to date")
    return applied


def rollback(url: str | None = None, *, lock_timeout: float = LOCK_TIMEOUT) -> list[str]:
    """Roll back every applied migration, newest first; return their ids.
    This drops convstore's tables and everything in them."""
    url = resolve_url(url)
    migrations = read_migrations(str(migrations_dir(dialect_of(url))))
    with _backend(url) as backend, _locked(backend, lock_timeout), _yoyo_output_logged():
        applied = backend.to_rollback(migrations)
        backend.rollback_migrations(applied)
    rolled_back = [migration.id for migration in applied]
    logger.info("rolled back %s: %s", redact(url), ", ".join(rolled_back) or "nothing applied")
    return rolled_back


def pending_migrations(url: str | None = None) -> list[str]:
    """The ids of the migrations not yet applied to the database."""
    url = resolve_url(url)
    migrations = read_migrations(str(migrations_dir(dialect_of(url))))
    with _backend(url) as backend:
        return [migration.id for migration in backend.to_apply(migrations)]


@contextmanager
def _backend(url: str) -> Iterator:
    try:
        backend = get_backend(yoyo_url(url))
    except psycopg.OperationalError as error:
        raise DatabaseUnavailable(f"could not connect to {redact(url)}: {error}") from error
    try:
        yield backend
    finally:
        backend.connection.close()


@contextmanager
def _locked(backend, timeout: float) -> Iterator[None]:
    try:
        with backend.lock(timeout=timeout):
            yield
    except LockTimeout as error:
        raise DatabaseUnavailable(
            f"another migration run held the lock for over {timeout}s ({error})"
        ) from error


@contextmanager
def _yoyo_output_logged() -> Iterator[None]:
    """yoyo prints any rows a migration statement returns (SQLite's ADD COLUMN
    with a CHECK returns an empty result); send them to the log instead."""
    printed = io.StringIO()
    with redirect_stdout(printed):
        yield
    if printed.getvalue().strip():
        logger.debug("yoyo printed: %s", printed.getvalue())
