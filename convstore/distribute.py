"""Distributing convstore's tables on Citus, by conversation (``convstore distribute``).

On a Citus coordinator, after the migrations: ``conversations`` is distributed
by ``id``, and every table of a conversation's rows by ``conversation_id``,
co-located with it, so that all of one conversation's rows share a shard and a
per-conversation statement runs on that shard alone (a "router" query, one
task in ``EXPLAIN``). ``attachments``, keyed by user and referenced from
messages of any conversation, becomes a reference table, a copy on every node.
The server-session tables (``convstore_session_scopes``) and yoyo's stay local
to the coordinator.

Before distributing, the schema is brought within what Citus accepts: the two
foreign keys from a branch to its parent and ancestors are dropped (they
cross shards), and so is the one from ``message_attachments`` to
``attachments`` (with it, Citus refuses to change ``attachments`` in a
transaction that read a distributed table in parallel, as every erasure and
purge does; the attachment is locked before it is linked or deleted, and a
deletion looks for references again, so none goes missing); and the row-level
security policies read the user from the transaction-local setting that Citus
passes on to its workers
(``sql/citus/distribute/``, each file says why). Everything runs in one
transaction, under an advisory lock: a run that fails leaves the database as it
was, and a second run, or one racing it, finds the tables distributed and
changes nothing. Rows stored before distributing are moved into the shards.

Citus's rules are from its documentation ("Creating and Modifying Distributed
Objects", "Table Management") and source (``create_distributed_table``,
``foreign_constraint.c``, ``policy.c``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from .db.bare import run_on_connection
from .db.opening import postgres_error
from .errors import ConfigurationError, SchemaNotMigrated
from .migrate import pending_migrations
from .sqlfiles.catalog import citus_catalogue
from .types import POSTGRES
from .urls import DatabaseURL

logger = logging.getLogger("convstore")

DISTRIBUTED_BY_CONVERSATION: tuple[tuple[str, str], ...] = (
    ("conversations", "id"),
    ("messages", "conversation_id"),
    ("conversation_ancestors", "conversation_id"),
    ("langgraph_checkpoints", "conversation_id"),
    ("langgraph_channel_values", "conversation_id"),
    ("langgraph_list_items", "conversation_id"),
    ("langgraph_writes", "conversation_id"),
)
"""Each table distributed before attachments become a reference table, with
the column naming its conversation; all co-located with the first."""

REFERENCE_TABLE = "attachments"

AFTER_REFERENCE_TABLE = ("message_attachments", "conversation_id")
"""Distributed once ``attachments`` is a reference table (it references it)."""


def distribute(url: str | DatabaseURL | None = None) -> list[str]:
    """Distribute convstore's tables on the Citus coordinator at ``url`` (see
    the module's docstring); return the tables distributed by this run, in
    order (empty when they all were already). ``url`` defaults as for
    :func:`convstore.migrate`; connect as the tables' owner.

    :raises ConfigurationError: for a SQLite URL, a database without the
        Citus extension, a Citus worker rather than the coordinator, or a
        role that may not change the tables.
    :raises SchemaNotMigrated: if migrations are pending (run ``convstore
        migrate`` first).
    :raises DatabaseUnavailable: if the server cannot be reached.
    :raises DatabaseError: if Citus refuses a step; nothing is changed.
    """
    url = DatabaseURL.resolve(url)
    if url.dialect != POSTGRES:
        raise ConfigurationError(
            f"{url.redacted} is a SQLite database; distribute needs a Citus coordinator "
            "(PostgreSQL with the citus extension)"
        )
    pending = pending_migrations(url)
    if pending:
        shown = pending[0] if len(pending) == 1 else f"{pending[0]} ... {pending[-1]}"
        raise SchemaNotMigrated(
            f"{url.redacted} has {len(pending)} pending migration(s) ({shown}); "
            "run `convstore migrate` first, then distribute"
        )
    with _connection(url) as connection:
        _require_coordinator(connection, url)
        with connection.transaction():
            distributed = _distribute(connection)
    if distributed:
        logger.info("distributed %s on Citus: %s", url.redacted, ", ".join(distributed))
    return distributed


def _distribute(connection: psycopg.Connection) -> list[str]:
    _run(connection, "lock_distribution")
    placed = {row["table_name"] for row in _run(connection, "placed_tables")}
    _run(connection, "drop_cross_shard_keys")
    _run(connection, "scope_policies")
    done: list[str] = []
    colocate_with = None
    for table, column in DISTRIBUTED_BY_CONVERSATION:
        if table not in placed:
            _distribute_table(connection, table, column, colocate_with)
            done.append(table)
        colocate_with = DISTRIBUTED_BY_CONVERSATION[0][0]
    _run(connection, "drop_attachment_key")
    if REFERENCE_TABLE not in placed:
        _run(connection, "reference_table", table_name=REFERENCE_TABLE)
        done.append(REFERENCE_TABLE)
    table, column = AFTER_REFERENCE_TABLE
    if table not in placed:
        _distribute_table(connection, table, column, colocate_with)
        done.append(table)
    # Only now: Citus refuses while a local table references the table.
    for table in reversed(done):
        _run(connection, "truncate_local_data", table_name=table)
    return done


def _distribute_table(
    connection: psycopg.Connection, table: str, column: str, colocate_with: str | None
) -> None:
    _run(
        connection,
        "distribute_table",
        table_name=table,
        distribution_column=column,
        colocate_with=colocate_with,
    )


def _require_coordinator(connection: psycopg.Connection, url: DatabaseURL) -> None:
    found = _run(connection, "citus_version")
    if not found:
        raise ConfigurationError(
            f"{url.redacted} has no Citus extension: distribute needs a Citus coordinator "
            "(CREATE EXTENSION citus, with citus in shared_preload_libraries); on plain "
            "PostgreSQL convstore needs no distribution"
        )
    if not _run(connection, "is_coordinator")[0]["is_coordinator"]:
        raise ConfigurationError(
            f"{url.redacted} is a Citus worker; run distribute against the coordinator"
        )


@contextmanager
def _connection(url: DatabaseURL) -> Iterator[psycopg.Connection]:
    """An autocommit connection whose driver errors leave as convstore's types."""
    try:
        with psycopg.connect(url.conninfo, autocommit=True) as connection:
            yield connection
    except psycopg.errors.InsufficientPrivilege as error:
        raise ConfigurationError(
            f"distribute on {url.redacted}: {error.diag.message_primary or error}; "
            "run it as the role that owns convstore's tables (the one that migrated them)"
        ) from error
    except psycopg.Error as error:
        raise postgres_error(error, url) from error


def _run(connection: psycopg.Connection, name: str, **params: Any) -> list[dict[str, Any]]:
    return run_on_connection(connection, citus_catalogue()[f"distribute.{name}"], **params)
