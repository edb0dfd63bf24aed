"""Timestamps keep microseconds on both databases: a value written on either
reads back identical, a JSONL export from PostgreSQL restored into SQLite is
exact, and SQLite's text comparisons stay right (every value one width)."""

from __future__ import annotations

import io
import json
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import convstore
from convstore.sqlfiles.parser import load_query
from convstore.transfer.jsonl import export_conversations, import_conversations
from convstore.types import SQLITE

MIGRATIONS = Path(__file__).parent.parent / "migrations" / "sqlite"
WIDENING = "sqlite_0009_microsecond_timestamps"
TEST_SQL = Path(__file__).parent / "sql"
STAMP = "2026-11-25T13:38:38.123456+00:00"


def _line(conversation_id: str, user: str, created: str, updated: str) -> str:
    return json.dumps(
        {
            "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
            "convstore": {
                "conversation": {
                    "id": conversation_id,
                    "user_id": user,
                    "title": None,
                    "metadata": {},
                    "created_at": created,
                    "updated_at": updated,
                },
                "messages": [{"seq": 1, "created_at": created}, {"seq": 2, "created_at": updated}],
            },
        }
    )


def test_microseconds_read_back_identical(store, user):
    conversation_id = str(uuid.uuid4())
    updated = "2026-11-25T13:38:38.123457+00:00"
    import_conversations(store, [_line(conversation_id, user, STAMP, updated)])
    conversation = store.get_conversation(conversation_id)
    assert conversation["created_at"] == datetime.fromisoformat(STAMP)
    assert conversation["updated_at"] == datetime.fromisoformat(updated)
    assert [m["created_at"] for m in conversation["messages"]] == [
        datetime.fromisoformat(STAMP),
        datetime.fromisoformat(updated),
    ]
    stats = store.get_conversation_stats(conversation_id)
    assert stats["last_message_at"] == datetime.fromisoformat(updated)


def test_export_since_compares_microseconds(store, user):
    conversation_id = str(uuid.uuid4())
    import_conversations(store, [_line(conversation_id, user, STAMP, STAMP)])
    out = io.StringIO()
    moment = datetime.fromisoformat(STAMP)
    assert export_conversations(store, user, out, moment) == 1
    assert export_conversations(store, user, out, moment + timedelta(microseconds=1)) == 0


def test_new_rows_sort_with_imported_ones(store, user):
    """A row written now has the same width as an imported one, so the text
    comparison SQLite makes orders them by time."""
    old = str(uuid.uuid4())
    import_conversations(store, [_line(old, user, STAMP, STAMP)])
    new = store.create_conversation(user)
    store.add_message(new, "user", "now")
    out = io.StringIO()
    assert export_conversations(store, user, out, "2026-11-25T13:38:38.123457Z") == 1
    assert json.loads(out.getvalue())["convstore"]["conversation"]["id"] == new
    message = store.get_message(new, 1)
    assert message["created_at"] > datetime.fromisoformat(STAMP)
    assert abs(message["created_at"] - datetime.now(timezone.utc)) < timedelta(minutes=5)


def test_a_postgres_export_restored_into_sqlite_is_exact(postgres_url, sqlite_url, user):
    convstore.migrate(sqlite_url)
    with convstore.connect(postgres_url) as source, convstore.connect(sqlite_url) as target:
        conversation_id = source.create_conversation(user, title="t", metadata={"n": 1})
        source.add_message(conversation_id, "user", "one")
        source.add_messages(conversation_id, [{"role": "assistant", "content": "two"}])
        imported = str(uuid.uuid4())
        import_conversations(source, [_line(imported, user, STAMP, STAMP)])
        out = io.StringIO()
        assert export_conversations(source, user, out) == 2
        import_conversations(target, out.getvalue().splitlines())
        for cid in (conversation_id, imported):
            assert target.get_conversation(cid) == source.get_conversation(cid)


def test_values_of_the_old_width_are_widened(sqlite_url, user):
    """Rows stored with milliseconds before sqlite_0009, or inserted by another
    tool with the column defaults, take the new width."""
    convstore.migrate(sqlite_url)
    with convstore.connect(sqlite_url) as store:
        conversation_id = store.create_conversation(user)
        store.add_message(conversation_id, "user", "hi")
    path = sqlite_url.removeprefix("sqlite:///")
    foreign = load_query(TEST_SQL / "foreign_conversation.sql", SQLITE, "foreign_conversation")
    widths = load_query(TEST_SQL / "timestamp_widths.sql", SQLITE, "timestamp_widths")
    connection = sqlite3.connect(path)
    try:
        connection.executescript((MIGRATIONS / f"{WIDENING}.rollback.sql").read_text())
        narrow = connection.execute(widths.statement).fetchall()
        connection.executescript((MIGRATIONS / f"{WIDENING}.sql").read_text())
        wide = connection.execute(widths.statement).fetchall()
        connection.execute(foreign.statement, {"id": str(uuid.uuid4()), "user_id": user})
        connection.commit()
        after_foreign_insert = connection.execute(widths.statement).fetchall()
    finally:
        connection.close()
    assert narrow == [(24, 24, 24)]
    assert wide == [(27, 27, 27)]
    assert after_foreign_insert == [(27, 27, None), (27, 27, 27)]
