"""Migrations: idempotent, reversible, safe from two processes at once."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
import sqlparse

import convstore
from convstore import SchemaNotMigrated
from convstore.db import sql_functions
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


def _run_script(url: str, script: str, query: str) -> list[tuple]:
    """Run a migration's SQL on the database at ``url`` as it is, then ``query``
    (on SQLite with the functions convstore gives the connection that migrates;
    on PostgreSQL a statement at a time, as yoyo runs it, so that a script of
    several CREATE or DROP INDEX CONCURRENTLY runs outside a transaction)."""
    if _dialect(url) == "sqlite":
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
            sql_functions.register(connection)
            connection.executescript(script)
            return connection.execute(query).fetchall()
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in sqlparse.split(script):
            connection.execute(statement)
        return connection.execute(query).fetchall()


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
    newest_first = sorted(_migration_ids(dialect), reverse=True)
    for migration_id in newest_first[: newest_first.index(FORMAT_MIGRATION[dialect]) + 1]:
        script = (migrations_dir(dialect) / f"{migration_id}.rollback.sql").read_text()
        rows = _run_script(
            empty_database_url, script, "SELECT seq, role, name, content FROM messages"
        )
    assert sorted(rows) == [(1, "assistant", None, None), (2, "tool", "weather", "sunny")]


def test_a_full_rollback_of_a_store_holding_function_results_succeeds(empty_database_url):
    with convstore.connect(empty_database_url, migrate=True) as store:
        store.add_message(store.create_conversation("u"), "function", "sunny", name="weather")
    assert sorted(convstore.rollback(empty_database_url)) == _migration_ids(
        _dialect(empty_database_url)
    )


EXTRA_MIGRATION = {
    "sqlite": "sqlite_0016_conversation_extra",
    "postgres": "pg_0022_conversation_extra",
}


def test_the_conversation_extra_migration_goes_down_and_up_keeping_every_conversation(
    empty_database_url,
):
    with convstore.connect(empty_database_url, migrate=True) as store:
        tools = {"tools": [{"type": "function", "function": {"name": "f"}}]}
        with_extra = store.create_conversation("u", title="tools", extra=tools)
        plain = store.create_conversation("u", title="plain", metadata={"k": 1})
        store.add_message(with_extra, "user", "hello")
    dialect = _dialect(empty_database_url)
    migration = migrations_dir(dialect) / EXTRA_MIGRATION[dialect]
    listed = "SELECT id, title, metadata, message_count FROM conversations ORDER BY title"

    down = _run_script(
        empty_database_url, migration.with_suffix(".rollback.sql").read_text(), listed
    )
    assert [(str(id_), title, count) for id_, title, _, count in down] == [
        (plain, "plain", 0),
        (with_extra, "tools", 1),
    ]
    up = _run_script(
        empty_database_url,
        migration.with_suffix(".sql").read_text(),
        "SELECT title, extra FROM conversations ORDER BY title",
    )
    assert [
        (title, json.loads(extra) if isinstance(extra, str) else extra) for title, extra in up
    ] == [
        ("plain", {}),
        ("tools", {}),
    ]
    refused = sqlite3.IntegrityError if dialect == "sqlite" else psycopg.errors.CheckViolation
    with pytest.raises(refused, match="conversations_extra_shape"):
        _run_script(empty_database_url, "", "UPDATE conversations SET extra = '[]'")

    with convstore.connect(empty_database_url) as store:
        assert store.get_conversation(plain)["metadata"] == {"k": 1}
        assert store.update_conversation(with_extra, extra=tools)["extra"] == tools
        assert [m["content"] for m in store.get_messages(with_extra)] == ["hello"]


ATTACHMENTS_MIGRATION = {
    "sqlite": "sqlite_0017_attachments",
    "postgres": "pg_0023_attachments",
}
PICTURE = bytes(range(256)) * 8


def test_the_attachments_migration_goes_down_and_up_keeping_every_message_as_given(
    empty_database_url,
):
    """Its rollback puts the data back inline, exactly; migrated up again,
    those messages stay inline and read the same, and new ones go by reference."""
    image = {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64," + base64.b64encode(PICTURE).decode()},
    }
    audio = {
        "type": "input_audio",
        "input_audio": {"data": base64.b64encode(PICTURE[::-1]).decode(), "format": "wav"},
    }
    given = [[{"type": "text", "text": "This?"}, image, audio], [image], "plain"]
    with convstore.connect(empty_database_url, migrate=True) as store:
        conversation_id = store.create_conversation("u")
        store.add_messages(conversation_id, [{"role": "user", "content": c} for c in given])
    dialect = _dialect(empty_database_url)
    migration = migrations_dir(dialect) / ATTACHMENTS_MIGRATION[dialect]

    down = _run_script(
        empty_database_url,
        migration.with_suffix(".rollback.sql").read_text(),
        "SELECT content_parts FROM messages ORDER BY seq",
    )
    assert [json.loads(p) if isinstance(p, str) else p for (p,) in down] == [*given[:2], None]
    _run_script(empty_database_url, migration.with_suffix(".sql").read_text(), "SELECT 1")

    with convstore.connect(empty_database_url) as store:
        read = store.get_messages(conversation_id, attachments="reference")
        assert [m["content"] for m in read] == given
        store.add_message(conversation_id, "user", [image])
        (newest,) = store.get_messages(conversation_id, limit=1, attachments="reference")
        assert newest["content"][0]["attachment"]["bytes"] == len(PICTURE)
        assert store.get_messages(conversation_id, limit=1)[0]["content"] == [image]


SEARCH_MIGRATIONS = {  # newest first
    "sqlite": ["sqlite_0018_search_off_the_write_path"],
    "postgres": ["pg_0025_pending_search_index", "pg_0024_search_off_the_write_path"],
}
INDEXED = {
    "sqlite": "SELECT count(*) FROM messages_fts",
    "postgres": "SELECT count(*) FROM messages WHERE search_vector IS NOT NULL",
}


def test_the_search_migration_goes_down_and_up_losing_no_message_from_search(
    empty_database_url,
):
    """Its rollback indexes what appends left unindexed (back to indexing in
    every append); migrated up again, old and new messages are found."""
    with convstore.connect(empty_database_url, migrate=True) as store:
        conversation_id = store.create_conversation("u")
        store.add_messages(conversation_id, [{"role": "user", "content": "zebra"}] * 2)
    dialect = _dialect(empty_database_url)
    folder = migrations_dir(dialect)
    for migration_id in SEARCH_MIGRATIONS[dialect]:
        script = (folder / f"{migration_id}.rollback.sql").read_text()
        down = _run_script(empty_database_url, script, INDEXED[dialect])
    assert down == [(2,)]
    for migration_id in reversed(SEARCH_MIGRATIONS[dialect]):
        _run_script(empty_database_url, (folder / f"{migration_id}.sql").read_text(), "SELECT 1")
    with convstore.connect(empty_database_url) as store:
        store.add_message(conversation_id, "user", "zebra again")
        assert sorted(m["seq"] for m in store.search_messages("u", "zebra")) == [1, 2, 3]


REFUSE_RECORDING = {
    "sqlite": (
        "CREATE TRIGGER refuse_recording BEFORE INSERT ON _yoyo_migration "
        "WHEN NEW.migration_id = '{id}' BEGIN SELECT RAISE(ABORT, 'refused'); END",
        "DROP TRIGGER refuse_recording",
    ),
    "postgres": (
        "CREATE FUNCTION refuse_recording() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'refused'; END $$; "
        "CREATE TRIGGER refuse_recording BEFORE INSERT ON _yoyo_migration FOR EACH ROW "
        "WHEN (NEW.migration_id = '{id}') EXECUTE FUNCTION refuse_recording()",
        "DROP TRIGGER refuse_recording ON _yoyo_migration",
    ),
}


def test_a_migration_that_cannot_be_recorded_leaves_no_trace(empty_database_url):
    """A migration and its record are one transaction: a run killed between
    them (here, a record that fails) must not leave it applied but unrecorded,
    which made every later run fail on "duplicate column name"."""
    dialect = _dialect(empty_database_url)
    second = _migration_ids(dialect)[1]  # adds conversations.pinned_tokens
    convstore.migrate(empty_database_url)
    convstore.rollback(empty_database_url)  # yoyo's tables stay, empty
    refuse, allow = REFUSE_RECORDING[dialect]
    columns = {
        "sqlite": "SELECT name FROM pragma_table_info('conversations')",
        "postgres": "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'conversations'",
    }[dialect]

    _run_script(empty_database_url, refuse.format(id=second), "SELECT 1")
    with pytest.raises(convstore.DatabaseError, match="refused"):
        convstore.migrate(empty_database_url)
    assert convstore.pending_migrations(empty_database_url)[0] == second
    assert ("pinned_tokens",) not in _run_script(empty_database_url, "", columns)

    _run_script(empty_database_url, allow, "SELECT 1")
    assert convstore.migrate(empty_database_url)[0] == second
    with convstore.connect(empty_database_url) as store:
        assert store.get_conversation(store.create_conversation("after"))["message_count"] == 0


def test_a_file_left_with_a_hot_journal_by_a_killed_run_is_migrated(tmp_path):
    """A run killed mid-transaction leaves a hot journal that only a connection
    that may write can roll back; reading what is applied must not fail with
    "attempt to write a readonly database" (ReadOnlyDatabase) on such a file."""
    path = tmp_path / "killed.db"
    killed = (
        "import os, sqlite3\n"
        f"connection = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "connection.execute('CREATE TABLE half_done (x)')\n"
        "connection.execute('PRAGMA cache_size = 1')\n"
        "connection.execute('BEGIN')\n"
        "connection.executemany('INSERT INTO half_done VALUES (?)', [('x' * 500,)] * 200)\n"
        "os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", killed], check=False)
    assert (tmp_path / "killed.db-journal").stat().st_size > 0

    url = f"sqlite:///{path}"
    assert convstore.migrate(url) == _migration_ids("sqlite")
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT count(*) FROM half_done").fetchone() == (0,)
