"""What convstore logs."""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

import convstore
from convstore.sqlfiles.parser import load_query
from convstore.transfer import transfer, verify_transfer
from convstore.types import POSTGRES


def test_the_debug_log_names_statements_and_parameters_never_values(store, user, caplog):
    """Message content is users' data: a debug log must not collect it."""
    with caplog.at_level(logging.DEBUG, logger="convstore"):
        conversation_id = store.create_conversation(user, title="private title")
        store.add_message(conversation_id, "user", "private words", metadata={"k": "private"})
        store.search_messages(user, "private")
    assert "append_message" in caplog.text and "content" in caplog.text
    assert "private" not in caplog.text


def _while_another_thread_holds_a_transaction(store, call, first=lambda: None) -> None:
    """``call()`` while another thread keeps a transaction of ``store`` open
    for 0.4 s, after running ``first()`` in it."""
    holding = threading.Event()

    def hold() -> None:
        with store.transaction():
            first()
            holding.set()
            time.sleep(0.4)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait()
    call()
    holder.join()


def _waited(pattern: str, text: str) -> float:
    found = re.search(rf"waited (\d+\.\d+) s for {pattern}", text)
    assert found, text
    return float(found.group(1))


def test_a_wait_for_the_sqlite_write_turn_is_logged_with_its_duration(sqlite_url, user, caplog):
    with convstore.connect(sqlite_url) as store:
        conversation_id = store.create_conversation(user)
        with caplog.at_level(logging.INFO, logger="convstore"):
            _while_another_thread_holds_a_transaction(
                store,
                lambda: store.add_message(conversation_id, "user", "second"),
                first=lambda: store.add_message(conversation_id, "user", "first"),
            )
    assert _waited("this process's turn to write", caplog.text) >= 0.2
    assert sqlite_url.removeprefix("sqlite:///") in caplog.text
    assert "first" not in caplog.text and "second" not in caplog.text


def test_a_wait_for_a_postgres_connection_is_logged_with_its_duration(postgres_url, caplog):
    with convstore.connect(postgres_url, min_size=1, max_size=1) as store:
        with caplog.at_level(logging.INFO, logger="convstore"):
            _while_another_thread_holds_a_transaction(
                store, lambda: store.list_conversations("anyone")
            )
    assert _waited(r"a PostgreSQL connection \(pool of 1", caplog.text) >= 0.2


def test_the_transfer_logs_each_page_and_each_mismatch(sqlite_url, scratch_databases, user, caplog):

    tamper = load_query(Path(__file__).parent / "sql" / "tamper_message.sql", POSTGRES, "tamper")
    with convstore.connect(sqlite_url) as source:
        ids = [source.create_conversation(user) for _ in range(3)]
        for conversation_id in ids:
            source.add_message(conversation_id, "user", "secret words")
    destination = scratch_databases.create()
    with caplog.at_level(logging.INFO, logger="convstore"):
        transfer(sqlite_url, destination, page_size=2)
    pages = [r for r in caplog.records if "committed a page" in r.getMessage()]
    assert len(pages) == 2, caplog.text
    assert "2 new" in pages[0].getMessage() and "1 new" in pages[1].getMessage()
    caplog.clear()
    with psycopg.connect(destination, autocommit=True) as connection:
        connection.execute(tamper.statement, {"conversation_id": ids[1]})
    with caplog.at_level(logging.INFO, logger="convstore"):
        assert verify_transfer(sqlite_url, destination).mismatched == [ids[1]]
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert ids[1] in warning.getMessage() and "the fields of its messages" in warning.getMessage()
    assert "secret" not in caplog.text


def test_an_idempotency_retry_is_logged(scratch_databases, user, caplog):
    """Two batches with one key wait on the conversation's lock; the second
    meets the unique index and appends again under the lock, and says so."""
    waiting = load_query(Path(__file__).parent / "sql" / "waiting_for_locks.sql", POSTGRES, "w")
    url = scratch_databases.create()
    with convstore.connect(url, migrate=True, max_size=4) as store:
        conversation_id = store.create_conversation(user)
        batch = [{"role": "user", "content": "once", "idempotency_key": "request-1"}]
        with caplog.at_level(logging.INFO, logger="convstore"), ThreadPoolExecutor(2) as pool:
            with store.transaction():
                store.run("lock_conversation", conversation_id=conversation_id)
                appends = [pool.submit(store.add_messages, conversation_id, batch) for _ in "ab"]
                deadline = time.monotonic() + 10
                with psycopg.connect(url, autocommit=True) as observer:
                    while len(observer.execute(waiting.statement).fetchall()) < 2:
                        assert time.monotonic() < deadline, "the appends never waited"
                        time.sleep(0.02)
            stored = [append.result(timeout=10) for append in appends]
    assert stored[0] == stored[1]
    assert "appending again under its lock" in caplog.text
    assert conversation_id in caplog.text and "once" not in caplog.text
