"""Importing databases made by the original tutorial's stores."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

import convstore
from convstore.cli import main
from convstore.sqlfiles.parser import load_query
from convstore.transfer.tutorial import import_legacy

SQL = Path(__file__).parent / "sql"
OLD_CHAT = str(uuid.uuid5(uuid.NAMESPACE_URL, "convstore-legacy:c-1"))


def _tutorial_database(kind: str, tmp_path, scratch_databases) -> str:
    script = (SQL / f"tutorial_{kind}.sql").read_text()
    if kind == "sqlite":
        path = tmp_path / "tutorial.db"
        with sqlite3.connect(path) as connection:
            connection.executescript(script)
        return f"sqlite:///{path}"
    url = scratch_databases.create()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(script)
    return url


@pytest.mark.parametrize(
    ("source_kind", "destination_kind"),
    [("sqlite", "sqlite"), ("sqlite", "postgres"), ("postgres", "sqlite")],
)
def test_tutorial_databases_import_in_order_and_report_orphans(
    source_kind, destination_kind, tmp_path, scratch_databases
):
    source = _tutorial_database(source_kind, tmp_path, scratch_databases)
    destination = (
        f"sqlite:///{tmp_path / 'convstore.db'}"
        if destination_kind == "sqlite"
        else scratch_databases.create()
    )
    report = import_legacy(source, destination)
    assert (report.conversations, report.messages) == (3, 4)
    assert report.orphans == [(3, "missing")] and report.rejected == []

    with convstore.connect(destination) as store:
        old_chat = store.get_conversation(OLD_CHAT)
        assert old_chat["user_id"] == "alice" and old_chat["title"] == "Old chat"
        assert old_chat["metadata"] == {"source": "tutorial", "legacy_id": "c-1"}
        assert old_chat["updated_at"] == datetime(2024, 5, 1, 10, 5, tzinfo=timezone.utc)
        messages = old_chat["messages"]
        assert [(m["seq"], m["content"]) for m in messages] == [
            (1, "first"),
            (2, "second"),
            (3, "third"),
        ]
        # the tutorial's unknown count is estimated (3 + "third" / 4), not 100
        assert [(m["tokens"], m["tokens_estimated"]) for m in messages] == [
            (3, False),
            (5, False),
            (5, True),
        ]
        assert messages[1]["latency_ms"] == 120 and messages[1]["metadata"] == {"model": "gpt"}
        assert messages[0]["created_at"] == datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)
        assert store.get_recent_context(OLD_CHAT, max_tokens=10)[0]["content"] == "second"
        assert [c["title"] for c in store.list_conversations("alice")] == [
            "Nothing said",
            "Old chat",
        ]
        assert (
            store.get_messages("5b0f7c2e-0000-4000-8000-000000000001")[0]["content"]
            == "hi from bob"
        )

    again = import_legacy(source, destination)
    assert (again.conversations, again.messages) == (0, 0)


def test_import_legacy_command(tmp_path, scratch_databases, capsys):
    source = _tutorial_database("sqlite", tmp_path, scratch_databases)
    destination = f"sqlite:///{tmp_path / 'convstore.db'}"
    assert main(["import-legacy", source, "--to", destination]) == 0
    out = capsys.readouterr().out
    assert "imported 3 new conversations, 4 new messages" in out
    assert "skipped orphan message 3 (no conversation missing)" in out


def _add_conversations(source: str, conversations: list[dict]) -> None:
    """Add rows to a tutorial SQLite database (tests/sql/legacy_conversation_sqlite.sql)."""
    add = load_query(SQL / "legacy_conversation_sqlite.sql", "sqlite", "conversation")
    with closing(sqlite3.connect(source.removeprefix("sqlite:///"))) as connection:
        for conversation in conversations:
            connection.execute(add.statement, conversation)
        connection.commit()


@pytest.mark.parametrize("destination_kind", ["sqlite", "postgres"])
def test_titles_are_checked_and_held_to_the_destinations_limits(
    destination_kind, tmp_path, scratch_databases
):
    source = _tutorial_database("sqlite", tmp_path, scratch_databases)
    times = {"created_at": "2024-05-04 08:00:00", "updated_at": "2024-05-04 08:00:00"}
    _add_conversations(
        source,
        [
            {"id": "c-nul", "user_id": "carol", "title": "a\x00b", "metadata": None, **times},
            {"id": "c-blob", "user_id": "carol", "title": b"\xff", "metadata": None, **times},
        ],
    )
    destination = (
        f"sqlite:///{tmp_path / 'convstore.db'}"
        if destination_kind == "sqlite"
        else scratch_databases.create()
    )

    # "Nothing said" is 12 bytes; every other title and text of the source fits in 11.
    report = import_legacy(source, destination, limits=convstore.Limits(max_text_bytes=11))

    assert dict(report.rejected_conversations) == {
        "c-empty": "conversation.title is 12 bytes; the limit is 11 (Limits.max_text_bytes); "
        "its 0 messages were not imported",
        "c-nul": "conversation.title contains a NUL character (\\x00), which PostgreSQL cannot store; "
        "its 0 messages were not imported",
        "c-blob": "conversation.title must be a string, got bytes b'\\xff'; its 0 messages were not imported",
    }
    assert (report.conversations, report.messages, report.rejected) == (2, 4, [])
    with convstore.connect(destination) as store:
        assert [c["title"] for c in store.list_conversations("alice")] == ["Old chat"]
        assert store.list_conversations("carol") == []

    # With the default limits the long title is imported; the others stay rejected.
    again = import_legacy(source, destination)
    assert {old_id for old_id, _ in again.rejected_conversations} == {"c-nul", "c-blob"}
    assert (again.conversations, again.messages) == (1, 0)


def test_two_old_ids_of_one_convstore_id_are_never_merged(tmp_path, scratch_databases):
    """A UUID written in lower and in upper case (two keys of the tutorial's
    TEXT column), and 'c-1' beside the UUID it maps to: the first of each
    pair is imported, the second rejected with the reason, not merged."""
    source = _tutorial_database("sqlite", tmp_path, scratch_databases)
    times = {"created_at": "2024-05-04 08:00:00", "updated_at": "2024-05-04 08:00:00"}
    lower = "5b0f7c2e-0000-4000-8000-0000000000aa"
    _add_conversations(
        source,
        [
            {"id": lower, "user_id": "dan", "title": "lower", "metadata": None, **times},
            {"id": lower.upper(), "user_id": "dan", "title": "UPPER", "metadata": None, **times},
            {"id": OLD_CHAT, "user_id": "alice", "title": "x", "metadata": None, **times},
        ],
    )
    destination = f"sqlite:///{tmp_path / 'convstore.db'}"
    report = import_legacy(source, destination)
    rejected = dict(report.rejected_conversations)
    (refused,) = set(rejected) & {lower, lower.upper()}  # the later in the source's order
    kept = lower if refused == lower.upper() else lower.upper()
    assert set(rejected) == {refused, OLD_CHAT}, rejected
    assert f"as old id {kept!r} does" in rejected[refused]
    assert "as old id 'c-1' does" in rejected[OLD_CHAT]
    with convstore.connect(destination) as store:
        assert store.get_conversation(lower)["title"] == ("lower" if kept == lower else "UPPER")
        assert store.get_conversation(OLD_CHAT)["title"] == "Old chat"
    assert (
        import_legacy(source, destination).rejected_conversations == report.rejected_conversations
    )
