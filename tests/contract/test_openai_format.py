"""The OpenAI chat message format in full, run on SQLite, PostgreSQL and
PgBouncer through both APIs: messages exactly as OpenAI's documentation
publishes them go in, and come out the same."""

from __future__ import annotations

import hashlib
import json

import pytest

from convstore import InvalidInput, message_fingerprint

IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/lisbon.jpg"}}

# From OpenAI's fine-tuning guide ("Fine-tuning examples", tool calling, weights,
# vision) and the Chat Completions API reference (content parts, refusal,
# function_call and the "function" role).
DOCUMENTED = [
    {"role": "system", "content": "You are a travel assistant."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Where was this photo taken?"},
            {**IMAGE, "image_url": {**IMAGE["image_url"], "detail": "low"}},
        ],
    },
    {
        "role": "assistant",
        "tool_calls": [
            {
                "id": "call_id",
                "type": "function",
                "function": {"name": "get_current_weather", "arguments": '{"location": "Lisbon"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_id", "content": '{"temperature": 21}'},
    {"role": "assistant", "content": "Lisbon, 21 degrees.", "weight": 0},
    {
        "role": "user",
        "content": [{"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}],
    },
    {"role": "assistant", "content": None, "function_call": {"name": "lookup", "arguments": "{}"}},
    {"role": "function", "name": "lookup", "content": "Belem tower"},
    {"role": "assistant", "content": None, "refusal": "I can't help with that."},
    {
        "role": "user",
        "content": [
            {
                "type": "file",
                "file": {
                    "filename": "plan.pdf",
                    "file_data": "data:application/pdf;base64,JVBERg==",
                },
            },
            {"type": "text", "text": "Summarise my plan."},
        ],
    },
    {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Day one: Alfama."},
            {"type": "refusal", "refusal": "No more."},
        ],
        "weight": 1,
        "audio": {"id": "audio_abc"},
        "annotations": [],
    },
    {
        "role": "user",
        "content": [{"type": "output_text", "text": "a part of a type convstore does not know"}],
    },
]


OPENAI_FIELDS = (
    "role",
    "content",
    "tool_calls",
    "tool_call_id",
    "name",
    "function_call",
    "refusal",
    "weight",
)
"""The fields of OpenAI's chat format that convstore has a place for."""


def _as_given(message):
    """A documented message as convstore takes it: fields it has no place for in extra."""
    given = {key: value for key, value in message.items() if key in OPENAI_FIELDS}
    extra = {key: value for key, value in message.items() if key not in OPENAI_FIELDS}
    return {**given, "extra": extra} if extra else given


def _openai_fields(stored):
    """A stored message back in the OpenAI format: the fields it was given."""
    fields = {key: stored[key] for key in OPENAI_FIELDS if stored[key] is not None}
    return {**fields, **stored["extra"]}


def _without_null_content(message):
    return {
        key: value for key, value in message.items() if not (key == "content" and value is None)
    }


def test_messages_as_openai_documents_them_come_back_the_same(store, user):
    conversation_id = store.create_conversation(user)
    stored = store.add_messages(conversation_id, [_as_given(m) for m in DOCUMENTED])

    read = store.get_messages(conversation_id, limit=None)
    assert read == stored
    assert [_openai_fields(m) for m in read] == [_without_null_content(m) for m in DOCUMENTED]
    assert read[2]["content"] is None and read[2]["extra"] == {}
    assert read[10]["extra"] == {"audio": {"id": "audio_abc"}, "annotations": []}
    assert [m["weight"] for m in read if m["weight"] is not None] == [0, 1]
    context = store.get_recent_context(conversation_id, max_tokens=100_000)
    assert [_openai_fields(m) for m in context] == [_without_null_content(m) for m in DOCUMENTED]
    assert store.get_conversation(conversation_id)["messages"] == read


def test_each_message_alone_comes_back_the_same(store, user):
    conversation_id = store.create_conversation(user)
    for message in DOCUMENTED:
        given = _as_given(message)
        stored = store.add_message(conversation_id, **given)
        assert _openai_fields(stored) == _without_null_content(message)
        assert _openai_fields(store.get_message(conversation_id, stored["seq"])) == _openai_fields(
            stored
        )


def test_search_finds_the_text_of_parts_and_nothing_else(store, user):
    conversation_id = store.create_conversation(user)
    store.add_messages(conversation_id, [_as_given(m) for m in DOCUMENTED])

    hits = store.search_messages(user, "photo")
    assert [(hit["seq"], hit["content"]) for hit in hits] == [(2, "Where was this photo taken?")]
    assert [hit["seq"] for hit in store.search_messages(user, "alfama")] == [11]
    assert [hit["seq"] for hit in store.search_messages(user, "no more")] == [11]
    assert store.search_messages(user, "lisbon jpg") == []  # an image's URL is not its text
    assert store.search_messages(user, "plan pdf") == []  # nor a file's name
    assert [hit["seq"] for hit in store.search_messages(user, "summarise")] == [10]


def test_replacing_a_message_by_parts_and_back(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "first")
    parts = [{"type": "text", "text": "second"}, IMAGE]

    replaced = store.replace_message(conversation_id, 1, {"role": "user", "content": parts})
    assert replaced["content"] == parts
    assert [hit["seq"] for hit in store.search_messages(user, "second")] == [1]
    assert store.search_messages(user, "first") == []

    back = store.replace_message(conversation_id, 1, {"role": "user", "content": "third"})
    assert (back["content"], back["extra"], back["weight"]) == ("third", {}, None)


def test_a_branch_shares_a_message_of_parts(store, user):
    conversation_id = store.create_conversation(user)
    store.add_messages(conversation_id, [_as_given(m) for m in DOCUMENTED[:2]])

    branch = store.fork_conversation(conversation_id, 2)
    assert store.get_messages(branch, limit=None)[1]["content"] == DOCUMENTED[1]["content"]


def test_fingerprints_cover_what_a_message_says_and_keep_the_old_ones(store, user):
    conversation_id = store.create_conversation(user)
    plain = {"role": "user", "content": "hello", "metadata": {"k": 1}}
    stored = store.add_message(conversation_id, **plain)
    # the fingerprint of a message without the new fields is as before them
    before = [
        "message",
        "user",
        "hello",
        None,
        None,
        None,
        None,
        {"k": 1},
    ]
    canonical = json.dumps(before, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    old = hashlib.sha256(canonical.encode()).hexdigest()
    assert message_fingerprint(stored) == message_fingerprint(plain) == old
    (listed,) = store.get_message_fingerprints(conversation_id)
    assert listed["fingerprint"] == old

    fingerprints = {
        message_fingerprint(_as_given(m))
        for m in (
            {"role": "user", "content": "hello"},
            {"role": "user", "content": [{"type": "text", "text": "hello"}]},
            {"role": "assistant", "content": "hello"},
            {"role": "assistant", "content": "hello", "weight": 0},
            {"role": "assistant", "content": "hello", "weight": 1},
            {"role": "assistant", "content": "hello", "refusal": "no"},
            {"role": "assistant", "content": "hello", "audio": {"id": "a"}},
            {"role": "assistant", "content": None, "function_call": {"name": "f"}},
        )
    }
    assert len(fingerprints) == 8


NOT_VALID = [
    (
        {"role": "user", "content": [{"text": "no type"}]},
        r"content\[0\] needs a non-empty string type",
    ),
    (
        {"role": "user", "content": [{"type": "text", "text": 5}]},
        r"content\[0\] \(a text part\) needs text",
    ),
    ({"role": "user", "content": [{"type": "image_url", "image_url": "x"}]}, r"image_url\.url"),
    (
        {"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]},
        r"input_audio\.data",
    ),
    (
        {"role": "user", "content": [{"type": "file", "file": {"filename": "a"}}]},
        r"file\.file_data or file\.file_id",
    ),
    ({"role": "user", "content": ["text"]}, r"content\[0\] must be an object"),
    ({"role": "user", "content": {"type": "text"}}, r"content must be text, a list of parts"),
    ({"role": "assistant", "content": "x", "weight": 2}, "weight must be 0 or 1"),
    ({"role": "assistant", "content": "x", "weight": True}, "weight must be 0 or 1"),
    (
        {"role": "assistant", "content": None, "function_call": {"arguments": "{}"}},
        "function_call must be",
    ),
    (
        {"role": "assistant", "function_call": {"name": "f", "arguments": {}}},
        "function_call.arguments",
    ),
    ({"role": "function", "content": "result"}, "needs the name of the function"),
    ({"role": "user"}, "content may be None only"),
    ({"role": "assistant"}, "content may be None only"),
    ({"role": "user", "content": "x", "extra": {"role": "system"}}, "extra may not hold role"),
    ({"role": "user", "content": "x", "extra": ["audio"]}, "extra must be a JSON object"),
    (
        {"role": "user", "content": "x", "audio": {}},
        r"unknown message fields: audio \(put a field",
    ),
    ({"role": "user", "content": "x", "refusal": 3}, "refusal must be a string"),
]
"""Messages the store refuses, each with what its error says."""


def test_a_message_that_is_not_valid_is_refused_and_nothing_is_stored(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "kept")

    for message, reason in NOT_VALID:
        with pytest.raises(InvalidInput, match=reason):
            store.add_messages(conversation_id, [{"role": "user", "content": "ok"}, message])
        with pytest.raises(InvalidInput, match=reason):
            store.replace_message(conversation_id, 1, message)
    assert [m["content"] for m in store.get_messages(conversation_id, limit=None)] == ["kept"]


def test_parts_are_content_within_the_text_limit_not_the_json_one(store, user):
    conversation_id = store.create_conversation(user)
    large = "x" * 2_000_000  # over max_json_bytes (1 MiB), within max_text_bytes (8 MiB)
    stored = store.add_message(conversation_id, "user", [{"type": "text", "text": large}])
    assert stored["content"] == [{"type": "text", "text": large}]
    with pytest.raises(InvalidInput, match="Limits.max_text_bytes|Limits.max_json_bytes"):
        store.add_message(conversation_id, "user", [{"type": "text", "text": "x" * 9_000_000}])
