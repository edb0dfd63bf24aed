"""PostgreSQL sessions killed or the server restarted under a write load: every
call succeeds or raises a retryable convstore error, calls succeed again with no
manual step, and with idempotency keys and retries the stored messages are
exactly the acknowledged ones."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

import convstore
from convstore import ConvstoreError, DatabaseUnavailable, queries
from convstore.sqlfiles.parser import load_query
from convstore.types import POSTGRES

TERMINATE, TERMINATE_AND_WAIT = (
    load_query(Path(__file__).parent / "sql" / f"{name}.sql", POSTGRES, name)
    for name in ("terminate_backends", "terminate_backends_and_wait")
)


def append_until_acknowledged(store, conversation_id, key, retries):
    """What a careful client does: retry retryable errors with the same key."""
    while True:
        try:
            return store.add_message(conversation_id, "user", key, tokens=1, idempotency_key=key)
        except ConvstoreError as error:
            if not error.retryable:
                raise
            retries.append(f"{type(error).__name__}: {error}"[:120])
            time.sleep(0.01)


def _check_exactly_acknowledged(store, acknowledged):
    for conversation_id, keys in acknowledged.items():
        stored = store.get_messages(conversation_id, limit=None)
        assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
        assert [m["idempotency_key"] for m in stored] == keys
        stats = store.get_conversation_stats(conversation_id)
        assert stats["message_count"] == len(keys) and stats["total_tokens"] == len(keys)


def test_killed_sessions_lose_and_duplicate_nothing(postgres_url):
    database = urlsplit(postgres_url).path.lstrip("/")
    writers, kills = 4, 12
    retries: list[str] = []
    failures: list[BaseException] = []
    with convstore.connect(postgres_url, max_size=writers, timeout=10) as store:
        conversations = [store.create_conversation("faults") for _ in range(writers)]
        acknowledged = {conversation_id: [] for conversation_id in conversations}
        killing = threading.Event()
        killing.set()

        def write(conversation_id):
            try:
                i = 0
                while killing.is_set() or i < 20:
                    key = f"{conversation_id[:8]}-{i}"
                    append_until_acknowledged(store, conversation_id, key, retries)
                    acknowledged[conversation_id].append(key)
                    i += 1
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)

        threads = [threading.Thread(target=write, args=(c,)) for c in conversations]
        for thread in threads:
            thread.start()
        # A kill that lands on an idle pooled connection is healed by the pool's
        # check on checkout and never reaches a writer: go on until one has.
        deadline = time.monotonic() + 30
        with psycopg.connect(postgres_url, autocommit=True) as killer:
            while (kills > 0 or not retries) and time.monotonic() < deadline:
                time.sleep(0.05)
                killer.execute(TERMINATE.statement, {"database": database})
                kills -= 1
        killing.clear()
        for thread in threads:
            thread.join()

        assert failures == [], [repr(failure) for failure in failures]
        assert retries, "no fault reached the writers"
        assert all(retry.startswith("DatabaseUnavailable") for retry in retries), retries
        _check_exactly_acknowledged(store, acknowledged)


def test_statement_timeout_bounds_a_stuck_call(postgres_url):
    with convstore.connect(postgres_url, statement_timeout=0.3) as store:
        conversation_id = store.create_conversation("stuck")
        with psycopg.connect(postgres_url) as blocker:
            queries.lock_conversation(blocker, conversation_id=conversation_id, user_id=None)
            started = time.perf_counter()
            with pytest.raises(DatabaseUnavailable) as raised:
                store.add_message(conversation_id, "user", "waits for the lock")
            assert time.perf_counter() - started < 5
            assert raised.value.retryable
            blocker.rollback()
        assert store.add_message(conversation_id, "user", "works again")["seq"] == 1


@pytest.mark.skipif(
    "CONVSTORE_TEST_DSN" in os.environ or not shutil.which("pg_ctlcluster"),
    reason="restarts the local PostgreSQL cluster; not done to a server given by CONVSTORE_TEST_DSN",
)
def test_server_restart_needs_no_manual_step(postgres_url):
    with convstore.connect(postgres_url, max_size=4, timeout=30) as store:
        conversation_id = store.create_conversation("restart")
        acknowledged = {conversation_id: ["before"]}
        store.add_message(conversation_id, "user", "before", tokens=1, idempotency_key="before")
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True
        )
        retries: list[str] = []
        for i in range(20):
            append_until_acknowledged(store, conversation_id, f"after-{i}", retries)
            acknowledged[conversation_id].append(f"after-{i}")
        _check_exactly_acknowledged(store, acknowledged)


@pytest.mark.parametrize("dead", [1, 10])
def test_a_pool_whose_sessions_the_server_closed_answers_at_once(scratch_databases, dead):
    """Every pooled connection closed by the server while idle (a restart, an
    idle reaper): the next call takes a working one at once, not after the
    pool's 1, 2, 4 ... s waits per dead connection (29 s for six)."""
    url = scratch_databases.create()
    convstore.migrate(url)
    database = urlsplit(url).path.lstrip("/")
    with convstore.connect(url, min_size=dead, max_size=dead, timeout=30) as store:
        conversation_id = store.create_conversation("idle")
        with psycopg.connect(url, autocommit=True) as killer:
            ended = killer.execute(TERMINATE_AND_WAIT.statement, {"database": database}).fetchall()
        assert len(ended) == dead
        started = time.monotonic()
        assert store.add_message(conversation_id, "user", "after")["seq"] == 1
        assert time.monotonic() - started < 1.0
        assert [m["content"] for m in store.get_messages(conversation_id)] == ["after"]


def test_a_session_closed_inside_a_transaction_stores_nothing(scratch_databases):
    url = scratch_databases.create()
    convstore.migrate(url)
    database = urlsplit(url).path.lstrip("/")
    with convstore.connect(url, max_size=1) as store:
        conversation_id = store.create_conversation("mid-transaction")
        with pytest.raises(DatabaseUnavailable) as raised:
            with store.transaction():
                store.add_message(conversation_id, "user", "first")
                with psycopg.connect(url, autocommit=True) as killer:
                    killer.execute(TERMINATE_AND_WAIT.statement, {"database": database})
                store.add_message(conversation_id, "user", "second")
        assert raised.value.retryable
        assert store.get_messages(conversation_id) == []
