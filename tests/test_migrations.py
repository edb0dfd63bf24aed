"""Migrations: idempotent, reversible, safe from two processes at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

import convstore
from convstore import SchemaNotMigrated
from convstore.sqlfiles.resources import migrations_dir


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request, scratch_databases, tmp_path) -> str:
    """A database with no convstore schema yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return scratch_databases.create()


def _migration_ids(dialect: str) -> list[str]:
    return sorted(
        path.stem for path in migrations_dir(dialect).glob("*.sql") if ".rollback" not in path.name
    )


def _dialect(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres"


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_every_migration_has_a_rollback_and_a_dialect_prefix(dialect):
    prefix = {"sqlite": "sqlite_", "postgres": "pg_"}[dialect]
    for migration_id in _migration_ids(dialect):
        assert migration_id.startswith(prefix)
        assert (migrations_dir(dialect) / f"{migration_id}.rollback.sql").is_file()


def test_migrate_twice_is_a_no_op(empty_database_url):
    expected = _migration_ids(_dialect(empty_database_url))
    assert convstore.migrate(empty_database_url) == expected
    assert convstore.migrate(empty_database_url) == []
    assert convstore.pending_migrations(empty_database_url) == []


def test_rollback_then_migrate_restores_a_working_schema(empty_database_url):
    convstore.migrate(empty_database_url)
    with convstore.connect(empty_database_url) as store:
        store.create_conversation("before-rollback")

    rolled_back = convstore.rollback(empty_database_url)
    assert sorted(rolled_back) == _migration_ids(_dialect(empty_database_url))
    assert convstore.pending_migrations(empty_database_url) == sorted(rolled_back)
    with convstore.connect(empty_database_url, migrate=False) as store:
        with pytest.raises(SchemaNotMigrated, match="convstore migrate"):
            store.list_conversations("before-rollback")

    convstore.migrate(empty_database_url)
    with convstore.connect(empty_database_url) as store:
        assert store.list_conversations("before-rollback") == []
        conversation_id = store.create_conversation("after")
        assert store.add_message(conversation_id, "user", "works")["seq"] == 1


def test_two_processes_migrating_at_once_both_succeed_and_apply_each_once(empty_database_url):
    program = "import sys, convstore; print(' '.join(convstore.migrate(sys.argv[1])))"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", program, empty_database_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    applied = " ".join(stdout for stdout, _ in outputs).split()
    assert sorted(applied) == _migration_ids(_dialect(empty_database_url))
    assert convstore.pending_migrations(empty_database_url) == []


def test_connect_to_unmigrated_postgres_names_make_migrate(scratch_databases):
    url = scratch_databases.create()
    with pytest.raises(SchemaNotMigrated, match="make migrate"):
        convstore.connect(url)
    with convstore.connect(url, migrate=True) as store:
        assert store.list_conversations("nobody") == []


def test_connect_migrates_a_new_sqlite_file(tmp_path):
    with convstore.connect(f"sqlite:///{tmp_path / 'new.db'}") as store:
        assert store.add_message(store.create_conversation("u"), "user", "hi")["seq"] == 1


def test_cli_migrate_status_rollback(empty_database_url):
    def cli(*arguments):
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "convstore"),
                "--url",
                empty_database_url,
                *arguments,
            ],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = _migration_ids(_dialect(empty_database_url))[0]
    assert f"pending {first}" in cli("status")
    assert f"applied {first}" in cli("migrate")
    assert "up to date" in cli("migrate")
    assert first in cli("rollback", "--yes")
    assert f"pending {first}" in cli("status")


FORMAT_MIGRATION = {
    "sqlite": "sqlite_0015_openai_message_format",
    "postgres": "pg_0021_openai_message_format",
}


def test_rolling_back_the_openai_format_keeps_function_results_as_tool_messages(empty_database_url):
    """The older schema has no role 'function': its rollback keeps those rows
    as tool messages, so a full rollback of a store holding them succeeds."""
    with convstore.connect(empty_database_url, migrate=True) as store:
        conversation_id = store.create_conversation("u")
        store.add_messages(
            conversation_id,
            [
                {"role": "assistant", "function_call": {"name": "weather", "arguments": "{}"}},
                {"role": "function", "name": "weather", "content": "sunny"},
            ],
        )
    dialect = _dialect(empty_database_url)
    rollback_sql = (
        migrations_dir(dialect) / f"{FORMAT_MIGRATION[dialect]}.rollback.sql"
    ).read_text()
    if dialect == "sqlite":
        with closing(sqlite3.connect(empty_database_url.removeprefix("sqlite:///"))) as connection:
            connection.executescript(rollback_sql)
            rows = connection.execute("SELECT seq, role, name, content FROM messages").fetchall()
    else:
        with psycopg.connect(empty_database_url, autocommit=True) as connection:
            connection.execute(rollback_sql)
            rows = connection.execute("SELECT seq, role, name, content FROM messages").fetchall()
    assert sorted(rows) == [(1, "assistant", None, None), (2, "tool", "weather", "sunny")]


def test_a_full_rollback_of_a_store_holding_function_results_succeeds(empty_database_url):
    with convstore.connect(empty_database_url, migrate=True) as store:
        store.add_message(store.create_conversation("u"), "function", "sunny", name="weather")
    assert sorted(convstore.rollback(empty_database_url)) == _migration_ids(
        _dialect(empty_database_url)
    )
