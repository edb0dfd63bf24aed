"""Races between the maintenance paths and the writers, each interleaving forced
with held transactions and row locks rather than left to timing."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

import convstore
from convstore.sqlfile import POSTGRES, load_query

BLOCKED_BY = load_query(Path(__file__).parent / "sql" / "blocked_by.sql", POSTGRES, "blocked_by")
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
    conversation as revived; the test checks exactly that.
    """
    old = "2001-01-01T00:00:00+00:00"
    with convstore.connect(race_url) as store, convstore.connect(race_url) as purger:
        conversations = [store.create_conversation("racer") for _ in range(4)]
        for n, conversation_id in enumerate(conversations):
            store.add_message(conversation_id, "user", "long ago")
            store.run(
                "recount_conversation",
                conversation_id=conversation_id,
                updated_at=old.replace("01T", f"{n + 1:02d}T"),
            )
        revived, *inactive = conversations  # the oldest is revived

        started = []  # the purge's first statement is on its way to the database
        with ThreadPoolExecutor(max_workers=1) as pool:
            with store.transaction(), store.connection() as connection:
                store.add_message(revived, "user", "back again")  # holds the row lock
                with purger.tracer(lambda statement, params: started.append(statement)):
                    purge: Future = pool.submit(
                        purger.purge_conversations, timedelta(days=30), batch_size=2
                    )
                    if store.dialect == "postgres":
                        blocked = _blocked_by(race_url, connection.info.backend_pid)
                        _wait_until(lambda: purge.done() or blocked(), "blocked or done")
                    else:
                        _wait_until(lambda: bool(started), "sent")
                        assert not purge.done(), "the purge wrote while an append held the lock"
            # The append is committed (acknowledged); now the purge may finish.
            purged = purge.result(timeout=WAIT)

        assert purged == {"conversations": 3, "messages": 3}
        assert [m["content"] for m in store.get_messages(revived)] == ["long ago", "back again"]
        assert all(store.get_conversation(c) is None for c in inactive)
