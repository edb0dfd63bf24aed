"""Retried appends with an idempotency key store nothing twice (both databases)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from convstore import InvalidInput, NotFound


def test_retried_add_message_returns_the_stored_message(store, user):
    conversation_id = store.create_conversation(user)
    first = store.add_message(conversation_id, "user", "hello", tokens=3, idempotency_key="req-1")
    retried = store.add_message(conversation_id, "user", "hello", tokens=3, idempotency_key="req-1")

    assert retried == first
    assert first["idempotency_key"] == "req-1"
    assert store.get_conversation(conversation_id)["message_count"] == 1
    assert store.add_message(conversation_id, "user", "next", idempotency_key="req-2")["seq"] == 2
    context = store.get_recent_context(conversation_id, max_tokens=1000)
    assert (
        context[0]["suffix_tokens"] == 3 + 4
    )  # totals were not advanced by the retry ("next": 3 + 1)


def test_keys_are_scoped_to_their_conversation(store, user):
    first = store.create_conversation(user)
    second = store.create_conversation(user)
    store.add_message(first, "user", "a", idempotency_key="same")
    assert store.add_message(second, "user", "b", idempotency_key="same")["content"] == "b"


def test_retried_batch_stores_only_the_new_messages(store, user):
    conversation_id = store.create_conversation(user)
    batch = [
        {"role": "user", "content": "q", "idempotency_key": "turn-1-user"},
        {"role": "assistant", "content": "a", "idempotency_key": "turn-1-assistant"},
    ]
    first = store.add_messages(conversation_id, batch)
    assert store.add_messages(conversation_id, batch) == first

    extended = store.add_messages(
        conversation_id, [*batch, {"role": "user", "content": "q2", "idempotency_key": "turn-2"}]
    )
    assert [m["seq"] for m in extended] == [1, 2, 3]
    assert extended[:2] == first
    assert store.get_conversation(conversation_id)["message_count"] == 3


def test_racing_copies_of_one_request_store_it_once(store, user):
    conversation_id = store.create_conversation(user)
    start_together = threading.Barrier(8)

    def send(_):
        start_together.wait()
        return store.add_message(conversation_id, "user", "once", idempotency_key="racy")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(8)))

    assert {m["seq"] for m in results} == {1}
    assert len(store.get_messages(conversation_id, limit=None)) == 1


def test_a_keyed_append_inside_a_transaction_keeps_the_transaction_usable(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "first", idempotency_key="k")
    with store.transaction():
        again = store.add_message(conversation_id, "user", "first", idempotency_key="k")
        store.add_message(conversation_id, "assistant", "reply")
    assert again["seq"] == 1
    assert [m["content"] for m in store.get_messages(conversation_id)] == ["first", "reply"]


def test_bad_keys_and_missing_conversations(store, user):
    conversation_id = store.create_conversation(user)
    with pytest.raises(InvalidInput, match="idempotency_key"):
        store.add_message(conversation_id, "user", "x", idempotency_key="")
    with pytest.raises(InvalidInput, match="same idempotency_key"):
        store.add_messages(
            conversation_id,
            [{"role": "user", "content": "a", "idempotency_key": "dup"}] * 2,
        )
    with pytest.raises(NotFound):
        store.add_message("00000000-0000-4000-8000-000000000000", "user", "x", idempotency_key="k")
    assert store.get_messages(conversation_id) == []
