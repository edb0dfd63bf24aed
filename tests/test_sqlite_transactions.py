"""SQLite transactions end with the real error, whatever ended them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import convstore
from convstore import InvalidInput

TEST_SQL = Path(__file__).parent / "sql"


@pytest.fixture
def ending_trigger(sqlite_url, user):
    """A migrated file with a conversation, and a trigger that ends the whole
    transaction (as a full disk or an I/O error does) for 'end it all'."""
    with convstore.connect(sqlite_url) as store:
        conversation_id = store.create_conversation(user)
    other_tool = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:  # a trigger body has several statements: the file is a script
        other_tool.executescript((TEST_SQL / "rollback_trigger.sql").read_text(encoding="utf-8"))
    finally:
        other_tool.close()
    return conversation_id


def test_an_error_that_ended_the_transaction_is_the_error_raised(sqlite_url, ending_trigger):
    """Not "cannot rollback - no transaction is active", which hid it."""
    with convstore.connect(sqlite_url) as store:
        with pytest.raises(InvalidInput, match="ended by a trigger"):
            with store.transaction():
                store.add_message(ending_trigger, "user", "first")
                store.add_message(ending_trigger, "user", "end it all")
        assert store.get_messages(ending_trigger) == []
        assert store.add_message(ending_trigger, "user", "after")["seq"] == 1


def test_a_savepoint_inside_an_ended_transaction_raises_the_error(sqlite_url, ending_trigger):
    with convstore.connect(sqlite_url) as store:
        with pytest.raises(InvalidInput, match="ended by a trigger"):
            with store.transaction():
                store.add_message(ending_trigger, "user", "first")
                store.add_messages(ending_trigger, [{"role": "user", "content": "end it all"}] * 2)
        assert store.get_messages(ending_trigger) == []
