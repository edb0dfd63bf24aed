"""The transfer never writes into another user's conversation: a conversation
id that the destination already holds for another owner is reported, not
treated as an earlier copy."""

from __future__ import annotations

import io
import json
from pathlib import Path

import psycopg
import pytest

import convstore
from convstore.cli import main
from convstore.sqlfiles.parser import load_query
from convstore.transfer import transfer, verify_transfer
from convstore.transfer.jsonl import export_conversations, import_conversations
from convstore.types import POSTGRES

COUNTERS = load_query(
    Path(__file__).parent / "sql" / "counters_and_messages.sql", POSTGRES, "counters_and_messages"
)


def _contents(store: convstore.Store, conversation_id: str) -> list[str]:
    return [m["content"] for m in store.get_messages(conversation_id, limit=None)]


@pytest.fixture
def bob_holds_alices_id(sqlite_url, scratch_databases, tmp_path):
    """alice's conversations at the SQLite source; at the PostgreSQL
    destination, a conversation of bob's under the id of alice's first one,
    with fewer messages (as a JSONL import naming that id would leave it)."""
    with convstore.connect(sqlite_url) as source:
        contested = source.create_conversation("alice", title="alice's")
        source.add_messages(
            contested, [{"role": "user", "content": f"alice {n}", "tokens": 2} for n in range(3)]
        )
        others = [source.create_conversation(user) for user in ("alice", "carol")]
        for conversation_id in others:
            source.add_message(conversation_id, "user", "copy me", tokens=1)

    with convstore.connect(f"sqlite:///{tmp_path / 'bob.db'}") as elsewhere:
        bobs = elsewhere.create_conversation("bob", title="bob's")
        elsewhere.add_message(bobs, "user", "bob's secret", tokens=5)
        exported = io.StringIO()
        export_conversations(elsewhere, "bob", exported)
    record = json.loads(exported.getvalue())
    record["convstore"]["conversation"]["id"] = contested

    destination = scratch_databases.create()
    convstore.migrate(destination)
    with convstore.connect(destination) as store:
        import_conversations(store, [json.dumps(record)])
    return sqlite_url, destination, contested, others


def _bob_untouched(destination: str, contested: str) -> None:
    with convstore.connect(destination) as store:
        assert store.get_conversation(contested)["user_id"] == "bob"
        assert _contents(store.for_user("bob"), contested) == ["bob's secret"]
        assert store.for_user("alice").get_conversation(contested) is None
    with psycopg.connect(destination, row_factory=psycopg.rows.dict_row) as connection:
        counters = connection.execute(COUNTERS.statement, {"conversation_id": contested}).fetchone()
    assert (counters["last_seq"], counters["message_count"], counters["total_tokens"]) == (1, 1, 5)


def test_another_owners_conversation_is_reported_and_never_written(bob_holds_alices_id):
    source, destination, contested, others = bob_holds_alices_id

    report = transfer(source, destination)

    assert report.conflicting == [contested]
    assert (report.conversations_copied, report.messages_copied) == (2, 2)
    assert report.mismatched == [contested] and not report.verified
    _bob_untouched(destination, contested)
    with convstore.connect(destination) as store:
        assert all(_contents(store, c) == ["copy me"] for c in others)

    again = transfer(source, destination)  # a rerun changes nothing either
    assert again.conflicting == [contested] and again.messages_copied == 0
    assert verify_transfer(source, destination).mismatched == [contested]
    _bob_untouched(destination, contested)


def test_the_cli_exits_1_and_names_the_conflicting_conversation(bob_holds_alices_id, capsys):
    source, destination, contested, others = bob_holds_alices_id

    assert main(["transfer", "--from", source, "--to", destination]) == 1
    assert contested in capsys.readouterr().err
    assert main(["transfer", "--from", source, "--to", destination, "--verify-only"]) == 1
    assert contested in capsys.readouterr().err
    _bob_untouched(destination, contested)
