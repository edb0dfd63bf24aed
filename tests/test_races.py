"""Races between the maintenance paths and the writers, each interleaving forced
with held transactions and row locks rather than left to timing."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

import convstore
import convstore.transfer.sqlite_to_postgres
from convstore.sqlfiles.parser import load_query
from convstore.transfer import transfer, verify_transfer
from convstore.types import POSTGRES

from .conftest import postgres_test_statement

TEST_SQL = Path(__file__).parent / "sql"
BLOCKED_BY = postgres_test_statement("blocked_by")
COUNTERS = load_query(TEST_SQL / "counters_and_messages.sql", POSTGRES, "counters_and_messages")
TAMPER_COUNTERS = load_query(TEST_SQL / "tamper_counters.sql", POSTGRES, "tamper_counters")
WAITING = postgres_test_statement("waiting_for_locks")
WAIT = 30.0
"""Seconds a test waits for a state it forces before it fails."""


@pytest.fixture(params=["sqlite", "postgres"])
def race_url(request, scratch_databases, sqlite_url) -> str:
    """A migrated database of its own: a purge spans every user, so no other
    test's conversations may be in reach."""
    url = sqlite_url if request.param == "sqlite" else scratch_databases.create()
    convstore.migrate(url)
    return url


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` (a state the test forces, not a timing guess)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {WAIT}s"
        time.sleep(0.005)


def _blocked_by(url: str, pid: int) -> Callable[[], bool]:
    def blocked() -> bool:
        with psycopg.connect(url, autocommit=True) as connection:
            return bool(connection.execute(BLOCKED_BY.statement, {"pid": pid}).fetchall())

    return blocked


def test_purge_spares_a_conversation_revived_while_the_purge_waited(race_url):
    """A conversation old enough to purge receives a message in a transaction
    that is still open when the purge reaches it; once that append commits
    (and is acknowledged) the conversation is active and must survive, and
    every other old conversation must still go, in full batches.

    PostgreSQL: the purge must not wait for the appender's row lock and then
    delete the row anyway (a ``DELETE ... WHERE id IN (subquery)`` rechecks
    only the outer WHERE on the updated row, and the age test lived in the
    subquery). The oldest conversation is the revived one and batches hold 2,
    so a purge that merely drops it from its first batch stops early (a short
    batch means "done") and leaves an old conversation behind.

    SQLite cannot show the race: it admits one writer at a time, and a write
    statement takes the file's write lock before it reads anything. The purge
    therefore waits (busy timeout) for the append to commit and then reads the
    conversation as revived; the test checks exactly that (the purge's
    transaction begins with BEGIN IMMEDIATE, which waits for the append's).
    """
    old = "2001-01-01T00:00:00+00:00"
    with convstore.connect(race_url) as store, convstore.connect(race_url) as purger:
        conversations = [store.create_conversation("racer") for _ in range(4)]
        for n, conversation_id in enumerate(conversations):
            store.add_message(conversation_id, "user", "long ago")
            store.database.run(
                load_query(TEST_SQL / "age_conversation.sql", store.dialect, "age_conversation"),
                conversation_id=conversation_id,
                updated_at=old.replace("01T", f"{n + 1:02d}T"),
            )
        revived, *inactive = conversations  # the oldest is revived

        with ThreadPoolExecutor(max_workers=1) as pool:
            with store.transaction(), store.connection() as connection:
                store.add_message(revived, "user", "back again")  # holds the row lock
                purge: Future = pool.submit(
                    purger.purge_conversations, timedelta(days=30), batch_size=2
                )
                if store.dialect == "postgres":
                    blocked = _blocked_by(race_url, connection.info.backend_pid)
                    _wait_until(lambda: purge.done() or blocked(), "blocked or done")
                else:  # its transaction's BEGIN IMMEDIATE waits for the append's
                    time.sleep(0.5)
                    assert not purge.done(), "the purge wrote while an append held the lock"
            # The append is committed (acknowledged); now the purge may finish.
            purged = purge.result(timeout=WAIT)

        assert purged == {"conversations": 3, "messages": 3}
        assert [m["content"] for m in store.get_messages(revived)] == ["long ago", "back again"]
        assert all(store.get_conversation(c) is None for c in inactive)


def _counters_and_messages(url: str, conversation_id: str) -> dict:
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as connection:
        return connection.execute(
            COUNTERS.statement, {"conversation_id": conversation_id}
        ).fetchone()


def test_a_message_appended_during_a_transfer_is_copied_with_its_counters_or_not_at_all(
    sqlite_url, scratch_databases, monkeypatch
):
    """A message appended to the source after the transfer read a page of
    conversations (their counters) and before it read their messages. Forced
    by the destination's tracer: when the page's destination_state statement
    is sent, the page is read and its messages are not yet, and the tracer
    appends through a store of its own. The destination's counters must
    count exactly the messages it holds (the page and its messages are one
    snapshot of the source), and the verification must say the source moved
    on; the next run copies the rest."""
    destination = scratch_databases.create()
    with convstore.connect(sqlite_url) as writer:
        conversation_id = writer.create_conversation("racer")
        writer.add_messages(
            conversation_id,
            [{"role": "system", "content": "rules", "tokens": 4, "pinned": True}]
            + [{"role": "user", "content": f"before {n}", "tokens": 3} for n in range(3)],
        )
        appended = []

        def append_while_copying(statement: str, params: object) -> None:
            if "transfer/postgres/destination_state.sql" in statement and not appended:
                appended.extend(
                    writer.add_messages(
                        conversation_id,
                        [
                            {"role": "user", "content": "during", "tokens": 5},
                            {"role": "developer", "content": "pin", "tokens": 2, "pinned": True},
                        ],
                    )
                )

        connect = convstore.transfer.sqlite_to_postgres.connect

        def connect_destination_traced(url: str, **options: object) -> convstore.Store:
            if url.text == destination:
                options["tracer"] = append_while_copying
            return connect(url, **options)

        monkeypatch.setattr(
            convstore.transfer.sqlite_to_postgres, "connect", connect_destination_traced
        )
        report = transfer(sqlite_url, destination)
        assert [m["seq"] for m in appended] == [5, 6], "the append did not land mid-transfer"

    copied = _counters_and_messages(destination, conversation_id)
    assert copied["last_seq"] == copied["max_seq"]
    assert copied["message_count"] == copied["messages"]
    assert copied["total_tokens"] == copied["total_tokens_sum"]
    assert copied["pinned_tokens"] == copied["pinned_tokens_sum"]
    assert report.mismatched == [conversation_id] and not report.verified

    monkeypatch.undo()
    again = transfer(sqlite_url, destination)
    assert again.messages_copied == 2 and again.verified
    assert _counters_and_messages(destination, conversation_id)["messages"] == 6


def test_verification_compares_the_conversation_counters(sqlite_url, scratch_databases):
    """Both sides hold the same messages, but the destination's counters
    differ: the verification must say so."""
    destination = scratch_databases.create()
    with convstore.connect(sqlite_url) as store:
        conversation_ids = [store.create_conversation("counted") for _ in range(3)]
        for conversation_id in conversation_ids:
            store.add_message(conversation_id, "user", "hello", tokens=7)
    assert transfer(sqlite_url, destination).verified
    with psycopg.connect(destination, autocommit=True) as connection:
        connection.execute(TAMPER_COUNTERS.statement, {"conversation_id": conversation_ids[1]})

    assert verify_transfer(sqlite_url, destination).mismatched == [conversation_ids[1]]


def test_racing_batches_with_overlapping_keys_never_fail(race_url, user):
    """Eight batches with overlapping idempotency keys all wait on one
    conversation's row lock, so each statement's snapshot predates the others'
    commits and its key check misses their rows: every one but the first
    meets the unique index. Each must still succeed and return the stored
    messages; every key is stored once, with gapless seq. (SQLite's writers
    take the file's write lock before reading, so there the race cannot
    happen; the test checks the same outcome.)"""
    writers = 8
    with convstore.connect(race_url, max_size=writers + 2) as store:
        conversation_id = store.create_conversation(user)
        batches = [
            [
                {"role": "user", "content": f"message {key}", "idempotency_key": f"key-{key}"}
                for key in range(writer, writer + 4)
            ]
            for writer in range(writers)
        ]
        with ThreadPoolExecutor(writers) as pool:
            with store.transaction():
                store.run("lock_conversation", conversation_id=conversation_id)
                appends = [
                    pool.submit(store.add_messages, conversation_id, batch) for batch in batches
                ]
                if store.dialect == "postgres":
                    _wait_until(lambda: _waiting(race_url) >= writers, "all waiting")
            stored = [append.result(timeout=WAIT) for append in appends]

        for batch, returned in zip(batches, stored, strict=True):  # one stored message each
            assert sorted(m["idempotency_key"] for m in returned) == sorted(
                m["idempotency_key"] for m in batch
            )
        messages = store.get_messages(conversation_id, limit=None)
        assert [m["seq"] for m in messages] == list(range(1, writers + 4))
        assert sorted(m["idempotency_key"] for m in messages) == sorted(
            f"key-{key}" for key in range(writers + 3)
        )
        assert store.get_conversation(conversation_id)["message_count"] == writers + 3


def _waiting(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as observer:
        return len(observer.execute(WAITING.statement).fetchall())


def test_an_append_whose_keys_keep_arriving_from_others_still_succeeds(scratch_databases, user):
    """The worst case of the race above, forced on PostgreSQL: before each
    attempt of one batch, another writer takes the conversation's lock and
    stores one of that batch's keys, committing only once the batch's
    statement waits behind it. Every attempt made without the lock would
    collide again; the batch must still succeed, with each key stored once."""
    url = scratch_databases.create()
    convstore.migrate(url)
    keys = ["key-1", "key-2", "key-3"]
    with convstore.connect(url) as writer, convstore.connect(url) as other:
        conversation_id = writer.create_conversation(user)
        interrupted = []
        batch_done = threading.Event()

        def store_a_key_first(statement: str, params: object) -> None:
            if "append_messages.sql" not in statement or len(interrupted) == len(keys):
                return
            key = keys[len(interrupted)]
            holding = threading.Event()

            def append_under_lock() -> None:
                with other.transaction():
                    other.run("lock_conversation", conversation_id=conversation_id)
                    holding.set()
                    other.add_message(conversation_id, "user", f"first {key}", idempotency_key=key)
                    _wait_until(
                        lambda: _waiting(url) >= 1 or batch_done.is_set(), "the batch waiting"
                    )

            interrupted.append(threading.Thread(target=append_under_lock))
            interrupted[-1].start()
            _wait_until(lambda: holding.is_set() or _waiting(url) >= 1, "the other writer in")

        batch = [
            {"role": "user", "content": f"batch {key}", "idempotency_key": key} for key in keys
        ]
        with writer.tracer(store_a_key_first):
            try:
                stored = writer.add_messages(conversation_id, batch)
            finally:
                batch_done.set()
        for thread in interrupted:
            thread.join(WAIT)

        assert sorted(m["idempotency_key"] for m in stored) == keys
        messages = writer.get_messages(conversation_id, limit=None)
        assert [m["seq"] for m in messages] == [1, 2, 3]
        assert sorted(m["idempotency_key"] for m in messages) == keys


def test_racing_ensures_inside_transactions_all_commit(race_url):
    """Eight threads ensure one conversation inside their own transactions
    and append to it: the losers of the insert race are not aborted."""
    name = "raced-thread"
    with convstore.connect(race_url, max_size=8) as store:

        def ensure_and_append(writer: int) -> int:
            with store.transaction():
                store.ensure_conversation(name, "racer")
                return store.add_message(name, "user", f"w{writer}")["seq"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            seqs = list(pool.map(ensure_and_append, range(8)))
        assert sorted(seqs) == list(range(1, 9))
        assert [c["message_count"] for c in store.list_conversations("racer")] == [8]


def test_ensures_released_at_once_never_fail_on_the_owner_index(race_url):
    """Many rounds of threads released together ensuring one new conversation
    each: an insert racing another of the same id meets the (id, user_id)
    index as well as the primary key; neither may raise."""
    with convstore.connect(race_url, max_size=6) as store:
        for round_number in range(40):
            name = f"released-{uuid.uuid4().hex}-{round_number}"
            start = threading.Barrier(6)

            def ensure(_: int, name: str = name, start: threading.Barrier = start) -> str:
                start.wait()
                with store.transaction():
                    return store.ensure_conversation(name, "racer")["id"]

            with ThreadPoolExecutor(max_workers=6) as pool:
                assert len(set(pool.map(ensure, range(6)))) == 1
