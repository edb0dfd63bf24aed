"""``list_users``: every user who has conversations, most recently active
first, counted from the conversations' counters -- on each database, through
each API. The databases are shared with other tests: each test looks at its
own users only."""

from __future__ import annotations

import pytest

from convstore import InvalidInput

EVERY_USER = 1_000_000
"""A limit no test database reaches."""


def _mine(store, user):
    """``list_users`` of every user, with only this test's users kept (in order)."""
    return [
        found for found in store.list_users(limit=EVERY_USER) if found["user_id"].startswith(user)
    ]


def test_users_most_recently_active_first_with_their_counts(store, user):
    alice, bob = f"{user}-alice", f"{user}-bob"
    trip = store.create_conversation(alice, title="trip")
    store.add_messages(
        trip, [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    )
    branch = store.fork_conversation(trip, 1)  # shares message 1, stores one of its own
    store.add_message(branch, "assistant", "hello")
    store.create_conversation(bob)
    assert [found["user_id"] for found in _mine(store, user)] == [bob, alice]

    store.add_message(trip, "user", "back again")  # alice is now the most recently active
    listed = _mine(store, user)
    assert [found["user_id"] for found in listed] == [alice, bob]
    stats = store.get_user_stats(alice)
    assert listed[0] == {
        "user_id": alice,
        "conversations": 2,
        "messages": 4,  # the shared message once
        "last_activity_at": stats["last_activity_at"],
    }
    assert listed[0]["messages"] == stats["messages"]
    assert listed[1]["conversations"] == 1 and listed[1]["messages"] == 0
    assert store.list_users(limit=1) == [listed[0]]  # the database's latest write was alice's


def test_deletions_are_counted_at_once(store, user):
    conversation_id = store.create_conversation(user)
    store.add_messages(conversation_id, [{"role": "user", "content": f"m{n}"} for n in range(3)])
    store.delete_message(conversation_id, 2)
    assert _mine(store, user)[0]["messages"] == 2 == store.get_user_stats(user)["messages"]
    store.delete_conversation(conversation_id)
    assert _mine(store, user) == []


def test_a_users_view_lists_only_its_user(store, user):
    alice, bob = f"{user}-alice", f"{user}-bob"
    store.add_message(store.create_conversation(alice), "user", "hi")
    store.create_conversation(bob)
    assert store.for_user(alice).list_users() == [
        found for found in _mine(store, user) if found["user_id"] == alice
    ]
    assert store.for_user(f"{user}-nobody").list_users() == []


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "10"])
def test_a_bad_limit_is_invalid_input(store, limit):
    with pytest.raises(InvalidInput, match="limit"):
        store.list_users(limit=limit)
