"""SQLite -> PostgreSQL transfer: exact, idempotent, resumable, verified."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

import convstore
from convstore.cli import main
from convstore.sqlfiles.parser import load_query
from convstore.transfer import transfer, verify_transfer
from convstore.types import POSTGRES, SQLITE

TEST_SQL = Path(__file__).parent / "sql"
TAMPER = load_query(TEST_SQL / "tamper_message.sql", POSTGRES, "tamper")
TAMPER_ITEM = load_query(TEST_SQL / "tamper_item.sql", POSTGRES, "tamper_item")


def _seed(url: str, conversations: int = 12, messages_each: int = 25) -> list[str]:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
    ids = []
    with convstore.connect(url) as store:
        for n in range(conversations):
            conversation_id = store.create_conversation(
                f"user-{n % 3}", title=f"chat {n} ☀", metadata={"n": n, "tags": ["a", "ü"]}
            )
            batch = [{"role": "system", "content": "rules", "tokens": 5, "pinned": True}]
            batch += [
                {
                    "role": ("user", "assistant")[i % 2],
                    "content": f"message {i} é😀",
                    "tokens": i % 7 or None,
                    "latency_ms": i,
                    "metadata": {"i": i},
                    "idempotency_key": f"k{i}",
                }
                for i in range(messages_each)
            ]
            batch += [
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "content": "42", "tool_call_id": "c1", "name": "f"},
            ]
            store.add_messages(conversation_id, batch)
            store.delete_message(conversation_id, 3)  # a gap in seq, as after a real delete
            ids.append(conversation_id)
    return ids


def _everything(url: str, ids: list[str]) -> list:
    with convstore.connect(url) as store:
        return [
            (
                store.get_conversation(i),
                store.get_recent_context(i, max_tokens=200),
                store.get_conversation_stats(i),
            )
            for i in ids
        ]


@pytest.fixture
def destination(scratch_databases):
    return scratch_databases.create()


def test_transfer_copies_everything_exactly(sqlite_url, destination):
    ids = _seed(sqlite_url)
    report = transfer(sqlite_url, destination, page_size=5)
    assert report.verified and report.conversations_checked == 12
    assert report.conversations_copied == 12 and report.messages_copied == 12 * 27
    assert _everything(destination, ids) == _everything(sqlite_url, ids)
    with convstore.connect(destination) as store:  # the copy works on: search, appends
        assert store.search_messages("user-0", "message")
        assert store.add_message(ids[0], "user", "after the move")["seq"] == 29


def test_running_again_copies_nothing_and_picks_up_growth(sqlite_url, destination):
    ids = _seed(sqlite_url, conversations=4)
    transfer(sqlite_url, destination)
    again = transfer(sqlite_url, destination)
    assert (again.conversations_copied, again.messages_copied) == (0, 0) and again.verified

    with convstore.connect(sqlite_url) as store:
        store.add_message(ids[1], "user", "grown since")
        new_id = store.create_conversation("user-9")
        store.add_message(new_id, "user", "brand new")
    grown = transfer(sqlite_url, destination)
    assert (grown.conversations_copied, grown.messages_copied) == (1, 2) and grown.verified
    assert _everything(destination, [*ids, new_id]) == _everything(sqlite_url, [*ids, new_id])


def test_an_interrupted_transfer_completes_on_rerun(sqlite_url, destination):
    ids = _seed(sqlite_url, conversations=150, messages_each=60)
    program = (
        "import sys, convstore.transfer as t; "
        "t.transfer(sys.argv[1], sys.argv[2], page_size=3, verify=False)"
    )
    run = subprocess.Popen([sys.executable, "-c", program, sqlite_url, destination])
    with convstore.connect(destination, migrate=True) as store:
        deadline = time.monotonic() + 60
        while not store.list_conversations("user-0") and time.monotonic() < deadline:
            time.sleep(0.01)  # until the first pages have landed
        run.kill()  # SIGKILL, in the middle of a page
        run.wait()
        partly = sum(1 for i in ids if store.get_conversation(i) is not None)
    assert 0 < partly < len(ids), "the kill did not land mid-transfer"

    report = transfer(sqlite_url, destination)
    assert report.verified and report.conversations_checked == 150
    assert report.conversations_copied == 150 - partly
    assert _everything(destination, ids[:5] + ids[-5:]) == _everything(
        sqlite_url, ids[:5] + ids[-5:]
    )


def test_timestamps_survive_a_non_utc_destination(sqlite_url, destination):
    ids = _seed(sqlite_url, conversations=2)
    database = urlsplit(destination).path.lstrip("/")
    with psycopg.connect(destination, autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} SET TimeZone = 'Asia/Kathmandu'").format(
                sql.Identifier(database)
            )
        )
    transfer(sqlite_url, destination)
    assert _everything(destination, ids) == _everything(sqlite_url, ids)


def test_verification_names_the_conversations_that_differ(sqlite_url, destination, capsys):
    ids = _seed(sqlite_url, conversations=3)
    transfer(sqlite_url, destination)
    with psycopg.connect(destination, autocommit=True) as connection:
        connection.execute(TAMPER.statement, {"conversation_id": ids[1]})

    assert verify_transfer(sqlite_url, destination).mismatched == [ids[1]]
    assert main(["transfer", "--from", sqlite_url, "--to", destination, "--verify-only"]) == 1
    assert ids[1] in capsys.readouterr().err


def test_sqlite_to_postgres_to_jsonl_to_sqlite_round_trip(sqlite_url, destination, tmp_path):
    ids = _seed(sqlite_url, conversations=6)
    transfer(sqlite_url, destination)
    exported = tmp_path / "user-1.jsonl"
    with convstore.connect(destination) as store, exported.open("w") as out:
        from convstore.transfer.jsonl import export_conversations

        assert export_conversations(store, "user-1", out) == 2
    first = exported.read_text().splitlines()[0]
    import json

    chat = json.loads(first)["messages"]
    assert chat[0] == {"role": "system", "content": "rules"}
    assert chat[-1] == {"role": "tool", "content": "42", "tool_call_id": "c1"}

    back = f"sqlite:///{tmp_path / 'back.db'}"
    assert main(["--url", back, "import", str(exported)]) == 0
    assert main(["--url", back, "import", str(exported)]) == 0  # again: nothing new
    user_1 = [i for n, i in enumerate(ids) if n % 3 == 1]
    assert _everything(back, user_1) == _everything(sqlite_url, user_1)
    with convstore.connect(back) as store:
        assert {c["id"] for c in store.list_conversations("user-1")} == set(user_1)


def test_the_order_of_writes_survives_the_transfer(sqlite_url, destination):
    """Listing and newest-first searches follow the order of writes, not ids:
    copied rows keep it, and what the destination writes afterwards is newer."""
    with convstore.connect(sqlite_url) as store:
        conversations = [store.create_conversation("ana") for _ in range(5)]
        for index in [3, 0, 4, 1, 3]:  # conversation 2: created, never written to
            store.add_message(conversations[index], "user", f"needle {index}")
        listed = [c["id"] for c in store.list_conversations("ana")]
        found = [(m["conversation_id"], m["seq"]) for m in store.find_messages("ana", "needle")]
    assert listed != sorted(listed)  # the order of writes is not the order of ids
    transfer(sqlite_url, destination, progress=False)
    with convstore.connect(destination) as store:
        assert [c["id"] for c in store.list_conversations("ana")] == listed
        assert [
            (m["conversation_id"], m["seq"]) for m in store.find_messages("ana", "needle")
        ] == found
        store.add_message(conversations[1], "user", "after")
        assert store.list_conversations("ana")[0]["id"] == conversations[1]
        assert store.find_messages("ana", "after")[0]["conversation_id"] == conversations[1]

    with convstore.connect(sqlite_url) as store:  # the source grows; a rerun copies that
        store.add_message(conversations[0], "user", "needle again")
    transfer(sqlite_url, destination, progress=False)
    with convstore.connect(destination) as store:
        assert store.list_conversations("ana")[1]["id"] == conversations[0]


def test_the_source_rows_are_in_the_columns_of_the_copy(sqlite_url):
    """The transfer sends each source row as it is (transfer._copy_row): the
    source statements must return the COPY statements' columns in their order."""
    import re
    import sqlite3

    from convstore.sqlfiles.catalog import catalogue
    from convstore.urls import DatabaseURL

    convstore.connect(sqlite_url).close()  # migrated
    parameters = {"after_id": "", "limit": 1, "order_offset": 0, "after_seqs": "{}"}
    with closing(sqlite3.connect(DatabaseURL(sqlite_url).sqlite_path)) as connection:
        for source, copy in (
            ("source_conversations", "copy_conversations"),
            ("source_messages", "copy_messages"),
        ):
            query = catalogue("sqlite")[f"transfer.{source}"]
            cursor = connection.execute(
                query.statement, {name: parameters[name] for name in query.parameters}
            )
            columns = [c[0].removesuffix("_json").removesuffix("_text") for c in cursor.description]
            copied = re.search(r"\((.*?)\)", catalogue("postgres")[f"transfer.{copy}"].sql, re.S)
            assert columns == [column.strip() for column in copied.group(1).split(",")], source


def test_two_transfers_into_one_destination_at_once_both_succeed(sqlite_url, destination):
    """Each page reads what the destination holds under a lock that the other
    transfer's page holds until it commits: the later one finds the
    conversations there instead of meeting their primary key."""
    from concurrent.futures import ThreadPoolExecutor

    ids = _seed(sqlite_url, conversations=40, messages_each=3)
    with ThreadPoolExecutor(2) as pool:
        reports = [
            pool.submit(transfer, sqlite_url, destination, page_size=4, verify=False)
            for _ in range(2)
        ]
        copied = [report.result(timeout=120) for report in reports]
    assert sum(report.conversations_copied for report in copied) == len(ids)
    assert sum(report.messages_copied for report in copied) == len(ids) * (1 + 3 + 2 - 1)
    assert verify_transfer(sqlite_url, destination).verified


REASONING = {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "t"}]}
FUNCTION_CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "weather",
    "arguments": '{"city": "Lisboa"}',
}


def _seed_items(url: str) -> list[str]:
    """A conversation with items of other kinds between its chat messages, and
    one whose message was written before convstore kept fingerprints."""
    with convstore.connect(url) as store:
        conversation_id = store.create_conversation("ana", title="items")
        store.add_message(conversation_id, "user", "Weather in Lisbon?", tokens=4)
        store.add_message(conversation_id, "assistant", None, kind="reasoning", payload=REASONING)
        store.add_message(
            conversation_id,
            "assistant",
            None,
            tokens=9,
            kind="function_call",
            payload=FUNCTION_CALL,
            idempotency_key="fc_1",
        )
        store.add_message(conversation_id, "assistant", "Sunny, 24 °C.", tokens=5)
        old_id = str(uuid.uuid4())
        for name, params in (
            ("old_conversation", {"id": old_id, "user_id": "ana"}),
            ("old_message", {"conversation_id": old_id, "user_id": "ana", "content": "old"}),
        ):
            store.database.run(load_query(TEST_SQL / f"{name}.sql", SQLITE, name), **params)
    return [conversation_id, old_id]


def _kept(url: str, ids: list[str]) -> list:
    with convstore.connect(url) as store:
        return [(store.get_messages(i, limit=None), store.get_message_fingerprints(i)) for i in ids]


def test_items_of_other_kinds_are_copied_exactly(sqlite_url, destination):
    ids = _seed_items(sqlite_url)
    report = transfer(sqlite_url, destination)
    assert report.verified and report.messages_copied == 5
    assert _kept(destination, ids) == _kept(sqlite_url, ids)
    (messages, fingerprints), (_, old_fingerprints) = _kept(destination, ids)
    assert [m["kind"] for m in messages] == ["message", "reasoning", "function_call", "message"]
    assert (messages[1]["content"], messages[1]["payload"]) == (None, REASONING)
    assert messages[2]["payload"] == FUNCTION_CALL
    assert all(len(f["fingerprint"]) == 64 for f in fingerprints)
    assert [(f["seq"], f["fingerprint"]) for f in old_fingerprints] == [(1, None)]


@pytest.mark.parametrize(
    "changed", [{"payload": '{"type": "reasoning"}'}, {"fingerprint": "0" * 64}], ids=repr
)
def test_verification_compares_payloads_and_fingerprints(sqlite_url, destination, changed):
    ids = _seed_items(sqlite_url)
    transfer(sqlite_url, destination)
    with psycopg.connect(destination, autocommit=True) as connection:
        tampered = {"conversation_id": ids[0], "seq": 2, "payload": None, "fingerprint": None}
        connection.execute(TAMPER_ITEM.statement, tampered | changed)
    assert verify_transfer(sqlite_url, destination).mismatched == [ids[0]]
