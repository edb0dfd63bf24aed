"""A conversation's extra through a JSONL export and import (either
database into either) and the SQLite -> PostgreSQL transfer: carried exactly,
and lines of conversations without one are as convstore wrote them before."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator

import pytest

import convstore
from convstore import InvalidInput
from convstore.store import Store
from convstore.transfer import transfer, verify_transfer
from convstore.transfer.jsonl import export_conversations, import_conversations

from .conftest import DIALECTS

TOOLS = {
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_current_weather",
                "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
            },
        }
    ],
    "parallel_tool_calls": False,
}
FUNCTIONS = {"functions": [{"name": "lookup", "parameters": {}}], "model": "gpt-4o-mini"}


def _tree(store: Store, user: str) -> list[str]:
    """A root with extra and messages, its branch with its own extra, and a
    conversation without extra."""
    root = store.create_conversation(user, title="weather", extra=TOOLS)
    store.add_messages(
        root,
        [
            {"role": "user", "content": "Weather in Lisbon?"},
            {"role": "assistant", "content": "Sunny.", "weight": 1},
        ],
    )
    branch = store.fork_conversation(root, 1)
    store.update_conversation(branch, extra=FUNCTIONS)
    store.add_message(branch, "assistant", "Let me look.")
    plain = store.create_conversation(user, title="plain")
    store.add_message(plain, "user", "hello")
    return [root, branch, plain]


def _exported(store: Store, user: str) -> str:
    out = io.StringIO()
    export_conversations(store, user, out)
    return out.getvalue()


def _lines(exported: str) -> list:
    return [json.loads(line) for line in exported.splitlines()]


@pytest.fixture(params=DIALECTS, ids=[f"into-{dialect}" for dialect in DIALECTS])
def destination(request, tmp_path, scratch_databases) -> Iterator[Store]:
    url = (
        f"sqlite:///{tmp_path / 'imported.db'}"
        if request.param == "sqlite"
        else scratch_databases.create()
    )
    with convstore.connect(url, migrate=True) as opened:
        yield opened


def test_a_jsonl_export_carries_extra_only_when_there_is_one(store, destination, user):
    ids = _tree(store, user)
    exported = _exported(store, user)

    lines = {
        line["convstore"]["conversation"]["id"]: line["convstore"]["conversation"]
        for line in _lines(exported)
    }
    assert [lines[i].get("extra") for i in ids] == [TOOLS, FUNCTIONS, None]
    assert "extra" not in lines[ids[2]]
    import_conversations(destination, io.StringIO(exported))
    assert [destination.get_conversation(i) for i in ids] == [
        store.get_conversation(i) for i in ids
    ]
    # As equal values: PostgreSQL's jsonb keeps no key order.
    assert _lines(_exported(destination, user)) == _lines(exported)


def test_a_line_without_extra_is_as_before(store, user):
    """Lines of conversations without extra are byte for byte as convstore
    wrote them before it kept extra; an empty one given is no extra."""
    line = {
        "messages": [{"role": "user", "content": "Two days in Lisbon?"}],
        "convstore": {
            "conversation": {
                "id": str(uuid.uuid4()),
                "user_id": user,
                "title": "Trip",
                "metadata": {"channel": "web"},
                "created_at": "2026-11-25T10:00:00+00:00",
                "updated_at": "2026-11-25T10:01:00+00:00",
            },
            "messages": [
                {
                    "seq": 1,
                    "name": None,
                    "tokens": 8,
                    "latency_ms": None,
                    "pinned": False,
                    "metadata": {},
                    "idempotency_key": None,
                    "created_at": "2026-11-25T10:00:00+00:00",
                }
            ],
        },
    }
    written = json.dumps(line, ensure_ascii=False) + "\n"
    conversation = line["convstore"]["conversation"]
    with_empty = {**conversation, "id": str(uuid.uuid4()), "extra": {}}
    import_conversations(
        store,
        [
            written,
            json.dumps({**line, "convstore": {**line["convstore"], "conversation": with_empty}}),
        ],
    )

    assert store.get_conversation(conversation["id"])["extra"] == {}
    assert store.get_conversation(with_empty["id"])["extra"] == {}
    assert _exported(store, user) == written + written.replace(conversation["id"], with_empty["id"])


def test_a_line_with_bad_extra_is_refused_naming_it(store, user):
    conversation_id = str(uuid.uuid4())
    line = {
        "messages": [],
        "convstore": {
            "conversation": {
                "id": conversation_id,
                "user_id": user,
                "created_at": "2026-11-25T10:00:00+00:00",
                "updated_at": "2026-11-25T10:01:00+00:00",
                "extra": {"tools": [{"function": {"name": "f"}}]},
            },
            "messages": [],
        },
    }
    with pytest.raises(InvalidInput, match=r"line 1: convstore\.conversation\.extra\.tools\[0\]"):
        import_conversations(store, [json.dumps(line)])
    assert store.get_conversation(conversation_id) is None


def test_the_transfer_copies_and_verifies_extra(sqlite_url, scratch_databases, user):
    destination_url = scratch_databases.create()
    with convstore.connect(sqlite_url) as source:
        ids = _tree(source, user)
        expected = [source.get_conversation(i) for i in ids]

    report = transfer(sqlite_url, destination_url)
    assert report.verified and report.conversations_copied == 3
    with convstore.connect(destination_url) as copied:
        assert [copied.get_conversation(i) for i in ids] == expected
        copied.update_conversation(ids[1], extra={**FUNCTIONS, "model": "gpt-4o"})
    assert verify_transfer(sqlite_url, destination_url).mismatched == [ids[1]]
