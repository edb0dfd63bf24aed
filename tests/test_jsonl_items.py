"""Items that are not chat messages in JSONL exports: kept whole under
``"convstore"``, never in a line's chat ``"messages"``, and restored exactly
(both databases)."""

from __future__ import annotations

import io
import json
import uuid

import convstore
from convstore.transfer.jsonl import export_conversations, import_conversations

REASONING = {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "t"}]}
FUNCTION_CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "weather",
    "arguments": '{"city": "Lisboa"}',
}
OUTPUT = {"type": "function_call_output", "call_id": "call_1", "output": "24 °C"}
ANSWER = {"type": "message", "id": "msg_1", "status": "completed"}


def _conversation_with_items(store, user) -> str:
    """Chat messages with items of three kinds between them (one findable by
    its content, one with an idempotency key), and a chat message with a payload."""
    conversation_id = store.create_conversation(user, title="Lisbon", metadata={"channel": "web"})
    store.add_message(conversation_id, "user", "Weather in Lisbon?", tokens=4, idempotency_key="q1")
    store.add_message(
        conversation_id,
        "assistant",
        "Look the weather up.",
        tokens=6,
        metadata={"model": "o4-mini"},
        kind="reasoning",
        payload=REASONING,
    )
    store.add_message(
        conversation_id,
        "assistant",
        None,
        tokens=9,
        kind="function_call",
        payload=FUNCTION_CALL,
        idempotency_key="fc_1",
    )
    store.add_message(
        conversation_id,
        "tool",
        "weather: 24 °C",
        kind="function_call_output",
        tool_call_id="call_1",
        payload=OUTPUT,
        pinned=True,
    )
    store.add_message(
        conversation_id,
        "assistant",
        "Sunny weather, 24 °C.",
        tokens=7,
        latency_ms=840,
        payload=ANSWER,
    )
    store.add_message(conversation_id, "user", "Thanks!")
    return conversation_id


def _kept(store, user, conversation_id) -> tuple:
    return (
        store.get_conversation(conversation_id),
        store.get_messages(conversation_id, limit=None),
        store.get_message_fingerprints(conversation_id),
        [m["seq"] for m in store.find_messages(user, "weather")],  # the order of writes
        store.get_recent_context(conversation_id, max_tokens=20),
    )


def _exported(store, user) -> str:
    out = io.StringIO()
    export_conversations(store, user, out)
    return out.getvalue()


def test_items_between_chat_messages_are_restored_exactly(store, user):
    conversation_id = _conversation_with_items(store, user)
    before = _kept(store, user, conversation_id)
    exported = _exported(store, user)
    store.delete_conversation(conversation_id)

    assert import_conversations(store, exported.splitlines()) == {
        "conversations": 1,
        "messages": 6,
    }
    assert _kept(store, user, conversation_id) == before
    assert [m["kind"] for m in before[1]] == [
        *("message", "reasoning", "function_call", "function_call_output"),
        *("message", "message"),
    ]
    assert all(len(f["fingerprint"]) == 64 for f in before[2])
    assert import_conversations(store, exported.splitlines()) == {"conversations": 0, "messages": 0}
    assert _exported(store, user) == exported


def test_the_chat_messages_of_a_line_hold_no_item(store, user):
    conversation_id = _conversation_with_items(store, user)
    (line,) = map(json.loads, _exported(store, user).splitlines())

    assert line["messages"] == [
        {"role": "user", "content": "Weather in Lisbon?"},
        {"role": "assistant", "content": "Sunny weather, 24 °C."},
        {"role": "user", "content": "Thanks!"},
    ]
    exact = line["convstore"]
    assert [m["seq"] for m in exact["messages"]] == [1, 5, 6]
    assert exact["messages"][1]["payload"] == ANSWER
    assert "payload" not in exact["messages"][0] and "kind" not in exact["messages"][0]
    stored = store.get_messages(conversation_id, limit=None)
    assert exact["items"] == [
        {
            **{key: value for key, value in message.items() if key != "conversation_id"},
            "created_at": message["created_at"].isoformat(),
        }
        for message in stored[1:4]
    ]


def test_a_line_without_items_is_as_before(store, user):
    """Conversations without items are exported byte for byte as before
    convstore kept items: no "items", no kind or payload of a chat message."""
    line = {
        "messages": [
            {"role": "user", "content": "Two days in Lisbon?"},
            {"role": "assistant", "content": "Start in Alfama."},
        ],
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
                    "idempotency_key": "k1",
                    "created_at": "2026-11-25T10:00:00+00:00",
                },
                {
                    "seq": 2,
                    "name": None,
                    "tokens": 5,
                    "latency_ms": 840,
                    "pinned": False,
                    "metadata": {"model": "m"},
                    "idempotency_key": None,
                    "created_at": "2026-11-25T10:01:00+00:00",
                },
            ],
        },
    }
    written = json.dumps(line, ensure_ascii=False) + "\n"
    import_conversations(
        store, [written, json.dumps({**line, "convstore": {**line["convstore"], "items": []}})]
    )
    assert _exported(store, user) == written


def test_a_chat_message_with_an_empty_payload_keeps_it_through_jsonl(store, tmp_path, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "hello", payload={})
    out = io.StringIO()
    export_conversations(store, user, out)
    with convstore.connect(f"sqlite:///{tmp_path / 'copy.db'}", migrate=True) as copy:
        import_conversations(copy, io.StringIO(out.getvalue()))
        assert copy.get_message(conversation_id, 1) == store.get_message(conversation_id, 1)


def test_estimated_counts_keep_their_mark_through_jsonl(store, tmp_path, user):
    conversation_id = store.create_conversation(user)
    store.add_messages(
        conversation_id,
        [
            {"role": "user", "content": "estimated"},
            {"role": "assistant", "content": "given", "tokens": 3},
        ],
    )
    out = io.StringIO()
    export_conversations(store, user, out)
    line = json.loads(out.getvalue())
    assert [m.get("tokens_estimated") for m in line["convstore"]["messages"]] == [True, None]
    with convstore.connect(f"sqlite:///{tmp_path / 'copy.db'}", migrate=True) as copy:
        import_conversations(copy, io.StringIO(out.getvalue()))
        assert copy.get_messages(conversation_id) == store.get_messages(conversation_id)
