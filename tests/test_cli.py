"""The ``convstore`` command line and the README's main job."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from convstore.cli import main

CONVSTORE = str(Path(sys.executable).parent / "convstore")
ROOT = Path(__file__).resolve().parent.parent


def test_queries_lists_every_query_with_its_sql(capsys):
    assert main(["--url", "postgresql://x@localhost/db", "queries"]) == 0
    listing = capsys.readouterr().out
    assert "-- recent_context  (" in listing and "sql/postgres/recent_context.sql" in listing
    assert "-- parameters: max_tokens, conversation_id, user_id, keep_tool_groups" in listing
    assert "sum(coalesce(tokens, 100)) OVER (" in listing
    postgres_files = [
        *(ROOT / "sql" / "postgres").rglob("*.sql"),
        *(ROOT / "sql" / "transfer" / "postgres").glob("*.sql"),
    ]
    assert listing.count("-- parameters:") == len(postgres_files)
    assert not re.search(r"^-- \w+  \(.*/sql/citus/", listing, re.M)  # no file of Citus's


def test_queries_lists_what_a_citus_coordinator_runs(capsys):
    assert main(["--url", "postgresql://x@localhost/db", "queries", "--citus"]) == 0
    listing = capsys.readouterr().out
    assert "-- recent_context  (" in listing and "sql/citus/recent_context.sql" in listing
    assert listing.count("-- recent_context  (") == 1
    assert "-- distribute.distribute_table  (" in listing
    assert "-- append_message  (" in listing and "sql/postgres/append_message.sql" in listing
    assert main(["queries", "--citus", "--dialect", "sqlite"]) == 2


def test_queries_shows_one_query_in_the_chosen_dialect(capsys):
    assert main(["queries", "get_messages", "--dialect", "sqlite"]) == 0
    shown = capsys.readouterr().out
    assert "sql/sqlite/get_messages.sql" in shown
    assert shown.count("-- parameters:") == 1
    assert main(["queries", "no_such_query"]) == 2


def test_errors_are_reported_without_a_traceback(capsys):
    assert main(["--url", "mysql://localhost/db", "migrate"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("convstore: error: argument --url: unsupported database URL")
    assert "Traceback" not in error


def test_demo_stores_a_conversation_and_prints_context_and_stats(tmp_path):
    done = subprocess.run(
        [CONVSTORE, "demo"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "on sqlite" in done.stdout
    assert "#5 assistant" in done.stdout and '"message_count": 5' in done.stdout
    assert (tmp_path / "conversations.db").is_file()


def test_suite_fails_loudly_without_postgres(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/contract/test_contract.py::test_conversation_stats",
        ],
        env={"PATH": "/usr/bin:/bin", "CONVSTORE_TEST_DSN": "postgresql://postgres@127.0.0.1:1/x"},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert "cannot reach PostgreSQL at postgresql://postgres@127.0.0.1:1/x" in done.stdout
    assert "pg_ctlcluster" in done.stdout
    # sqlite passes; postgres and pgbouncer fail, through both APIs
    assert "2 passed, 4 errors" in done.stdout


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_tutorial_classes_set_up_the_schema(dialect, tmp_path, scratch_databases):
    import convstore

    if dialect == "sqlite":
        store = convstore.SQLiteConversationStore(db_path=str(tmp_path / "tutorial.db"))
    else:
        store = convstore.PostgresConversationStore(scratch_databases.create())
    with store:
        conversation_id = store.create_conversation("u", title="t")
        store.add_message(conversation_id, "user", "hi", tokens=2, latency_ms=5)
        assert store.get_recent_context(conversation_id, max_tokens=2)[0]["content"] == "hi"
        assert store.get_conversation_stats(conversation_id)["total_tokens"] == 2


@pytest.mark.parametrize("name", ["my%20notes.db", "why?.db", "hash#tag.db", "50%.db"])
def test_the_tutorial_sqlite_class_opens_the_file_named(tmp_path, name):
    """``%``, ``?`` and ``#`` are part of a path, not URL syntax."""
    import convstore

    with convstore.SQLiteConversationStore(tmp_path / name) as store:
        store.create_conversation("u")
    assert [path.name for path in tmp_path.glob("*.db")] == [name]
