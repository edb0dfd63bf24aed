"""Erasure of a user's data and purging of inactive conversations (both databases)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from convstore import InvalidInput


def test_delete_user_data_erases_everything_of_that_user_only(store, user):
    other = f"{user}-other"
    for count in (2, 3):
        conversation_id = store.create_conversation(user)
        store.add_messages(conversation_id, [{"role": "user", "content": "x"}] * count)
    kept = store.create_conversation(other)
    store.add_message(kept, "user", "stays")

    assert store.delete_user_data(user) == {"conversations": 2, "messages": 5}
    assert store.list_conversations(user) == []
    assert store.search_conversations(user, "x") == []
    assert store.get_messages(kept)[0]["content"] == "stays"
    assert store.delete_user_data(user) == {"conversations": 0, "messages": 0}


def test_purge_deletes_inactive_conversations_in_batches(store, user):
    old = [store.create_conversation(user) for _ in range(5)]
    for conversation_id in old:
        store.add_message(conversation_id, "user", "old")
    time.sleep(0.3)
    recent = store.create_conversation(user)
    store.add_message(recent, "user", "recent")

    purged = store.purge_conversations(older_than=timedelta(seconds=0.2), batch_size=2)
    assert purged["conversations"] >= 5 and purged["messages"] >= 5
    assert [c["id"] for c in store.list_conversations(user)] == [recent]
    assert all(store.get_conversation(c) is None for c in old)


def test_purge_rejects_a_negative_age(store):
    with pytest.raises(InvalidInput, match="older_than"):
        store.purge_conversations(older_than=timedelta(days=-1))
    with pytest.raises(InvalidInput, match="older_than"):
        store.purge_conversations(older_than=30)
