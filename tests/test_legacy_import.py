"""Importing databases made by the original tutorial's stores."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

import convstore
from convstore.cli import main
from convstore.legacy_import import import_legacy

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
        assert [m["tokens"] for m in messages] == [3, 5, None]
        assert messages[1]["latency_ms"] == 120 and messages[1]["metadata"] == {"model": "gpt"}
        assert messages[0]["created_at"] == datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)
        assert store.get_recent_context(OLD_CHAT, max_tokens=105)[0]["content"] == "second"
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
