"""Newest first across conversations follows the order of writes, never a
timestamp: with every timestamp of a user forced equal, listings and searches
still put the conversation or message written last first, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest

import convstore
from convstore.sqlfiles.parser import load_query

TEST_SQL = Path(__file__).parent / "sql"


def _tie_times(store, user: str) -> None:
    for name in ("tie_conversation_times", "tie_message_times"):
        query = load_query(TEST_SQL / f"{name}.sql", store.dialect, name)
        store.database.run(query, user_id=user)


@pytest.fixture
def written(store, user):
    """Six conversations created in order, then messages written into them in
    another order; returns the conversation ids newest-activity first and the
    messages' contents newest-written first."""
    conversations = [store.create_conversation(user, metadata={"n": i}) for i in range(6)]
    contents = []
    for turn, index in enumerate([3, 0, 5, 1, 3, 4]):
        content = f"needle {turn}"
        store.add_message(conversations[index], "user", content, metadata={"kind": "needle"})
        contents.append(content)
    batch = [
        {"role": "user", "content": f"needle batch {i}", "metadata": {"kind": "needle"}}
        for i in range(3)
    ]
    store.add_messages(conversations[2], batch)
    contents += [message["content"] for message in batch]
    activity = [2, 4, 3, 1, 5, 0]  # the last write into each, newest first
    _tie_times(store, user)
    return [conversations[i] for i in activity], contents[::-1]


def test_listing_follows_the_order_of_writes(store, user, written):
    conversations, _ = written
    assert [c["id"] for c in store.list_conversations(user)] == conversations
    assert [c["id"] for c in store.list_conversations(user, limit=2)] == conversations[:2]


def test_metadata_search_follows_the_order_of_writes(store, user, written):
    conversations, contents = written
    found = store.find_conversations_by_metadata(user, {})
    assert [c["id"] for c in found] == conversations
    messages = store.find_messages_by_metadata(user, {"kind": "needle"})
    assert [m["content"] for m in messages] == contents
    assert [m["content"] for m in store.find_messages_by_metadata(user, {}, limit=4)] == contents[
        :4
    ]


def test_exact_search_follows_the_order_of_writes(store, user, written):
    _, contents = written
    assert [m["content"] for m in store.find_messages(user, "NEEDLE")] == contents
    assert [m["content"] for m in store.find_messages(user, "needle", limit=3)] == contents[:3]


def test_full_text_search_breaks_equal_ranks_by_the_order_of_writes(store, user):
    """Identical messages rank equally; the newest written comes first, and a
    conversation written to last comes first among equal best matches."""
    conversations = [store.create_conversation(user) for _ in range(6)]
    written = []
    for index in [3, 0, 5, 1, 3, 4]:
        stored = store.add_message(conversations[index], "user", "same words here")
        written.append((conversations[index], stored["seq"]))
    _tie_times(store, user)
    found = store.search_messages(user, "same")
    assert len({m["rank"] for m in found}) == 1
    assert [(m["conversation_id"], m["seq"]) for m in found] == written[::-1]
    assert [
        (m["conversation_id"], m["seq"]) for m in store.search_messages(user, "same", limit=2)
    ] == written[::-1][:2]
    grouped = store.search_conversations(user, "words")
    assert [c["id"] for c in grouped] == [conversations[i] for i in [4, 3, 1, 5, 0]]


def test_a_new_conversation_lists_above_one_with_an_older_message(store, user):
    older = store.create_conversation(user)
    store.add_message(older, "user", "hello")
    newer = store.create_conversation(user)
    _tie_times(store, user)
    assert [c["id"] for c in store.list_conversations(user)] == [newer, older]
    store.add_message(older, "user", "again")
    _tie_times(store, user)
    assert [c["id"] for c in store.list_conversations(user)] == [older, newer]


def test_listing_reads_the_write_order_index(database_url, user):
    """list_conversations walks conversations_user_activity: no sort, however
    many conversations the user has."""
    import sqlite3

    import psycopg

    import convstore

    with convstore.connect(database_url) as store:
        query = store.database.queries["list_conversations"]
    params = {"user_id": user, "limit": 20}
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            steps = connection.execute("EXPLAIN QUERY PLAN " + query.statement, params)
            plan = "\n".join(step[3] for step in steps)
        finally:
            connection.close()
        assert "conversations_user_activity" in plan and "TEMP B-TREE" not in plan, plan
    else:
        with psycopg.connect(database_url) as connection:
            connection.execute("SET enable_seqscan = off")
            connection.execute("SET enable_bitmapscan = off")
            steps = connection.execute("EXPLAIN " + query.statement, params)
            plan = "\n".join(step[0] for step in steps)
        assert "conversations_user_activity" in plan and "Sort" not in plan, plan


def test_a_restored_export_lists_in_the_same_order(open_store, user):
    """An export is written oldest activity first, so importing it repeats the
    order of writes (not the order of ids)."""
    import io

    from convstore.transfer.jsonl import PAGE_SIZE, export_conversations, import_conversations

    source = open_store()
    conversations = [source.create_conversation(user) for _ in range(PAGE_SIZE + 5)]
    for index in [7, 3, PAGE_SIZE + 2, 0, 7, 150]:
        source.add_message(conversations[index], "user", f"message {index}")
    listed = [c["id"] for c in source.list_conversations(user, limit=len(conversations))]
    assert listed != sorted(listed)
    exported = io.StringIO()
    assert export_conversations(source, user, exported) == len(conversations)  # every page
    for conversation_id in conversations:
        source.delete_conversation(conversation_id)
    import_conversations(source, exported.getvalue().splitlines())
    assert [c["id"] for c in source.list_conversations(user, limit=len(conversations))] == listed


def test_an_import_that_adds_messages_is_a_write_on_both(open_store, user):
    """Importing a later export of a conversation adds its new messages: the
    conversation was written to, on PostgreSQL as on SQLite."""
    import io

    from convstore.transfer.jsonl import export_conversations, import_conversations

    source = open_store()
    first = source.create_conversation(user, title="A")
    source.add_message(first, "user", "a1")
    second = source.create_conversation(user, title="B")
    source.add_message(second, "user", "b1")
    early = io.StringIO()
    export_conversations(source, user, early)
    source.add_message(first, "user", "a2")
    late = io.StringIO()
    export_conversations(source, user, late)
    for conversation_id in (first, second):
        source.delete_conversation(conversation_id)

    import_conversations(source, early.getvalue().splitlines())
    assert [c["title"] for c in source.list_conversations(user)] == ["B", "A"]
    import_conversations(source, late.getvalue().splitlines())
    assert [c["title"] for c in source.list_conversations(user)] == ["A", "B"]
    import_conversations(source, late.getvalue().splitlines())  # adds nothing: no write
    assert [c["title"] for c in source.list_conversations(user)] == ["A", "B"]


def test_importing_an_older_export_never_moves_activity_back(open_store, user):
    """Else a purge by age (updated_at) would delete a conversation in use."""
    import io

    from convstore.transfer.jsonl import export_conversations, import_conversations

    store = open_store()
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "a1")
    older = io.StringIO()
    export_conversations(store, user, older)
    store.add_message(conversation_id, "user", "a2")
    updated_at = store.get_conversation(conversation_id)["updated_at"]
    import_conversations(store, older.getvalue().splitlines())
    assert store.get_conversation(conversation_id)["updated_at"] == updated_at
    assert [m["content"] for m in store.get_messages(conversation_id)] == ["a1", "a2"]


TOOL_INSERT = load_query(TEST_SQL / "tool_message_sqlite.sql", "sqlite", "tool_insert")


def test_a_tools_own_insert_takes_its_place_in_the_order_of_writes(sqlite_url, user):
    """convstore's appends number their rows in the INSERT itself (migration
    sqlite_0019); a row another tool inserts without a number is numbered by
    a trigger, in its place among them, and is found by search."""
    with convstore.connect(sqlite_url) as store:
        first, second = (store.create_conversation(user) for _ in range(2))
        store.add_message(first, "user", "needle one")
        store.database.run(
            TOOL_INSERT, conversation_id=second, user_id=user, seq=1, content="needle two"
        )
        assert [c["id"] for c in store.list_conversations(user)] == [second, first]
        store.add_messages(first, [{"role": "user", "content": "needle three"}])
        found = store.find_messages(user, "needle")
        assert [m["content"] for m in found] == ["needle three", "needle two", "needle one"]
        assert [c["id"] for c in store.list_conversations(user)] == [first, second]
        assert store.add_message(second, "user", "needle four")["seq"] == 2
        assert [c["id"] for c in store.list_conversations(user)] == [second, first]
        assert [m["content"] for m in store.search_messages(user, "two")] == ["needle two"]
