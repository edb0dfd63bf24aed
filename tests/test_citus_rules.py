"""What Citus accepts, checked where no Citus runs (CI has none): the
migrations and the SQL files stay inside Citus's rules, so that
``convstore distribute`` and later migrations work on a cluster, and
``distribute`` itself refuses clearly where it cannot work.

The rules are Citus's own (its documentation, "Table Management" and
"Creating and Modifying Distributed Objects", and the errors its source
raises): a constraint added by ALTER TABLE to a distributed table is named; a
distributed table's unique indexes hold its distribution column; no triggers
(convstore's are SQLite's alone); no VOLATILE function in an UPDATE of a
distributed table; no subquery in a policy (``distribute`` rewrites
convstore's, which it finds by name). The whole suite runs on a real cluster
with CONVSTORE_TEST_CITUS_WORKERS (tests/conftest.py).
"""

from __future__ import annotations

import re

import psycopg
import pytest
import sqlparse

import convstore
from convstore import ConfigurationError, SchemaNotMigrated
from convstore.cli import main
from convstore.distribute import (
    AFTER_REFERENCE_TABLE,
    DISTRIBUTED_BY_CONVERSATION,
    REFERENCE_TABLE,
)
from convstore.sqlfiles.catalog import citus_catalogue
from convstore.sqlfiles.resources import migrations_dir
from convstore.types import POSTGRES

from .conftest import CITUS_WORKERS

DISTRIBUTED = dict([*DISTRIBUTED_BY_CONVERSATION, AFTER_REFERENCE_TABLE])
LOCAL_TABLES = {"convstore_session_scopes", "yoyo_lock", "_yoyo_log", "_yoyo_version"}
LOCAL_TABLES |= {"_yoyo_migration"}
FIRST_MIGRATION_AFTER_CITUS_RULES = "pg_0022"
"""Migrations before it were written before the rules were checked; they run
before distribute, on plain tables."""

CONSTRAINT_KEYWORDS = r"CHECK|UNIQUE|PRIMARY\s+KEY|FOREIGN\s+KEY|REFERENCES|EXCLUDE"


def _statements(migration_id: str) -> list[str]:
    script = (migrations_dir(POSTGRES) / f"{migration_id}.sql").read_text()
    return [
        sqlparse.format(statement, strip_comments=True)
        for statement in sqlparse.split(script)
        if statement.strip()
    ]


def _later_migrations() -> list[str]:
    return sorted(
        path.stem
        for path in migrations_dir(POSTGRES).glob("pg_*.sql")
        if ".rollback" not in path.name and path.stem >= FIRST_MIGRATION_AFTER_CITUS_RULES
    )


def _unnamed_constraints(alter_table: str) -> list[str]:
    """The constraints an ALTER TABLE statement adds without ``CONSTRAINT name``."""
    unnamed = []
    for found in re.finditer(rf"\b({CONSTRAINT_KEYWORDS})\b", alter_table, re.I):
        before = alter_table[: found.start()].split()
        named = len(before) >= 2 and before[-2].upper() == "CONSTRAINT"
        in_named_foreign_key = found.group(1).upper() == "REFERENCES" and re.search(
            r"CONSTRAINT\s+\w+\s+FOREIGN\s+KEY\s*\([^)]*\)\s*$", alter_table[: found.start()], re.I
        )
        if not (named or in_named_foreign_key):
            unnamed.append(" ".join(before[-4:] + [found.group(1)]))
    return unnamed


@pytest.mark.parametrize("migration_id", _later_migrations())
def test_constraints_added_by_alter_table_are_named(migration_id):
    """Citus refuses an unnamed constraint in ALTER TABLE on a distributed table."""
    for statement in _statements(migration_id):
        for alter_table in re.findall(r"\bALTER\s+TABLE\b.*", statement, re.I | re.S):
            assert not _unnamed_constraints(alter_table), (migration_id, alter_table)


def test_the_rule_for_named_constraints_finds_what_citus_refuses():
    assert _unnamed_constraints("ALTER TABLE t ADD COLUMN n int CHECK (n > 0)")
    assert _unnamed_constraints("ALTER TABLE t ADD UNIQUE (a, b)")
    assert _unnamed_constraints("ALTER TABLE t ADD COLUMN c uuid REFERENCES conversations (id)")
    assert not _unnamed_constraints("ALTER TABLE t ADD COLUMN n int CONSTRAINT t_n CHECK (n > 0)")
    assert not _unnamed_constraints(
        "ALTER TABLE t ADD CONSTRAINT t_c FOREIGN KEY (c, u) REFERENCES conversations (id, user_id)"
    )


@pytest.fixture
def catalog(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        yield connection


def test_every_table_is_distributed_or_known_to_stay_local(catalog):
    """A new table of a later migration is distributed by ``distribute`` (or
    said here to stay on the coordinator)."""
    tables = {
        name
        for (name,) in catalog.execute(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') "
            "AND relnamespace = current_schema()::regnamespace"
        )
    }
    assert tables == set(DISTRIBUTED) | {REFERENCE_TABLE} | LOCAL_TABLES


def test_every_unique_index_of_a_distributed_table_holds_its_distribution_column(catalog):
    """Citus cannot enforce uniqueness across shards, so it refuses a unique
    index (a primary key, a unique constraint) without the distribution column."""
    rows = catalog.execute(
        "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, "
        "       array_agg(a.attname::text) "
        "  FROM pg_index AS i JOIN pg_attribute AS a "
        "    ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
        " WHERE i.indisunique AND i.indrelid::regclass::text = ANY (%s) "
        " GROUP BY 1, 2",
        (list(DISTRIBUTED),),
    ).fetchall()
    assert {table for table, _, _ in rows} == set(DISTRIBUTED)
    for table, index, columns in rows:
        assert DISTRIBUTED[table] in columns, (table, index, columns)


def test_no_triggers_on_postgres(catalog):
    """Citus refuses triggers on distributed tables unless told to allow them
    (citus.enable_unsafe_triggers), and they would run on the shards alone."""
    triggers = catalog.execute(
        "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
        " WHERE NOT tgisinternal AND tgfoid::regproc::text NOT LIKE 'citus%%'"
    ).fetchall()
    assert triggers == []


def test_every_policy_is_one_distribute_rewrites(catalog):
    """Citus refuses a subquery in a distributed table's policy; distribute
    rewrites each <table>_of_the_scoped_user policy (sql/citus/distribute/scope_policies.sql)
    and no other."""
    policies = catalog.execute(
        "SELECT tablename, policyname FROM pg_policies WHERE schemaname = current_schema()"
    ).fetchall()
    assert {table for table, _ in policies} == set(DISTRIBUTED) | {REFERENCE_TABLE}
    for table, policy in policies:
        assert policy == f"{table}_of_the_scoped_user"


MATERIALIZED_CTE = r"\bAS\s+MATERIALIZED\s*\((?:[^()]|\([^()]*\))*\)"
VOLATILE_FUNCTIONS = (
    r"\b(clock_timestamp|convstore_write_order|nextval|random|gen_random_uuid)\s*\("
)


@pytest.mark.parametrize(
    "name", sorted(name for name in citus_catalogue() if not name.startswith("migrate."))
)
def test_no_volatile_function_in_an_update(name):
    """Citus refuses them in an UPDATE of a distributed table ("functions used
    in UPDATE queries on distributed tables must not be VOLATILE"); a function
    such as convstore_append_message takes such values first (pg_0029), or a
    MATERIALIZED CTE does (recount_conversation.sql)."""
    statement = sqlparse.format(citus_catalogue()[name].statement, strip_comments=True)
    statement = re.sub(MATERIALIZED_CTE, "", statement, flags=re.I)  # evaluated on its own
    if re.search(r"\bUPDATE\b", statement, re.I):
        assert not re.search(VOLATILE_FUNCTIONS, statement, re.I), name


def test_distribute_refuses_a_server_without_citus_and_runs_again_on_one(postgres_url):
    if CITUS_WORKERS:  # the run's database was distributed when it was made
        assert convstore.distribute(postgres_url) == []
        return
    with pytest.raises(ConfigurationError, match="has no Citus extension"):
        convstore.distribute(postgres_url)


def test_distribute_refuses_sqlite(sqlite_url):
    with pytest.raises(ConfigurationError, match="SQLite database; distribute needs a Citus"):
        convstore.distribute(sqlite_url)


def test_distribute_refuses_a_schema_with_migrations_pending(scratch_databases):
    with pytest.raises(SchemaNotMigrated, match="run `convstore migrate` first"):
        convstore.distribute(scratch_databases.create())


def test_the_command_says_what_it_did_or_why_it_refuses(postgres_url, capsys):
    if CITUS_WORKERS:
        assert main(["distribute", "--url", postgres_url]) == 0
        assert capsys.readouterr().out.endswith(": already distributed\n")
        return
    assert main(["distribute", "--url", postgres_url]) == 1
    assert "has no Citus extension" in capsys.readouterr().err
