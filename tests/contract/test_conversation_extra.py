"""A conversation's extra (the fields a source gives it that convstore has no
column for: an OpenAI fine-tuning line's tools, functions and
parallel_tool_calls above all), run on SQLite, PostgreSQL and PgBouncer
through both APIs: kept and given back as given, carried by a branch,
checked before anything is written."""

from __future__ import annotations

import uuid

import pytest

from convstore import InvalidInput
from convstore.types import CONVERSATION_FIELDS

# From OpenAI's fine-tuning guide ("Fine-tuning examples": tool calling, and
# the legacy function calling), and fields other sources give a conversation.
FINE_TUNING = {
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_current_weather",
                "description": "Get the current weather",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "location": {"type": "string"},
                        "format": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    },
                    "required": ["location", "format"],
                },
            },
        }
    ],
    "parallel_tool_calls": False,
}
LEGACY = {
    "functions": [
        {"name": "get_current_weather", "parameters": {"type": "object", "properties": {}}}
    ],
    "default_model_slug": "gpt-4o",
    "model": "gpt-4o-mini",
    "ratio": 0.25,
}

NOT_VALID = [
    (["tools"], r"extra must be a JSON object \(a dict\)"),
    ({"tools": {"type": "function"}}, r"extra\.tools must be an array of objects"),
    ({"tools": ["get_current_weather"]}, r"extra\.tools\[0\] must be an object"),
    (
        {"tools": [FINE_TUNING["tools"][0], {"function": {"name": "f"}}]},
        r"extra\.tools\[1\] needs a non-empty string type",
    ),
    ({"tools": [{"type": 1}]}, r"extra\.tools\[0\] needs a non-empty string type"),
    ({"functions": [{"parameters": {}}]}, r"extra\.functions\[0\] needs a non-empty string name"),
    ({"functions": None}, r"extra\.functions must be an array of objects"),
    ({"parallel_tool_calls": "false"}, r"extra\.parallel_tool_calls must be a boolean"),
    ({"parallel_tool_calls": 0}, r"extra\.parallel_tool_calls must be a boolean"),
    ({"title": "a field of its own"}, r"extra may not hold title: a conversation field"),
    ({"messages": [], "last_seq": 3}, r"extra may not hold last_seq and messages"),
    ({"model": float("nan")}, r"extra holds nan; JSON has no NaN"),
    ({"model": "x\x00"}, r"extra contains a NUL character"),
]
"""Values of extra the store refuses, each with what its error says."""


def _listed(store, user):
    return [
        (c["id"], c["title"], c["metadata"], c["extra"]) for c in store.list_conversations(user)
    ]


def test_extra_is_kept_and_given_back_by_every_read(store, user):
    conversation_id = store.create_conversation(
        user, title="weather", metadata={"channel": "ft"}, extra=FINE_TUNING
    )
    plain = store.create_conversation(user)
    store.add_message(conversation_id, "user", "What is the weather in Lisbon?")

    got = store.get_conversation(conversation_id)
    assert got["extra"] == FINE_TUNING
    assert store.get_conversation(plain)["extra"] == {}
    assert {c["id"]: c["extra"] for c in store.list_conversations(user)} == {
        conversation_id: FINE_TUNING,
        plain: {},
    }
    (found,) = store.find_conversations_by_metadata(user, {"channel": "ft"})
    assert found["extra"] == FINE_TUNING
    (hit,) = store.search_conversations(user, "lisbon")
    assert hit["extra"] == FINE_TUNING


def test_conversations_come_back_in_the_order_of_their_fields(store, user):
    conversation_id = store.create_conversation(user, extra=LEGACY)
    store.add_message(conversation_id, "user", "hello there")

    assert tuple(store.get_conversation(conversation_id))[:-1] == CONVERSATION_FIELDS
    assert tuple(store.list_conversations(user)[0]) == CONVERSATION_FIELDS
    assert tuple(store.update_conversation(conversation_id, title="t")) == CONVERSATION_FIELDS
    hit = store.search_conversations(user, "hello")[0]
    assert tuple(hit)[: len(CONVERSATION_FIELDS)] == CONVERSATION_FIELDS


def test_update_replaces_extra_whole_and_none_leaves_it(store, user):
    conversation_id = store.create_conversation(user, title="t", extra=FINE_TUNING)
    before = store.get_conversation(conversation_id)

    kept = store.update_conversation(conversation_id, title="new", metadata={"a": 1})
    assert (kept["title"], kept["metadata"], kept["extra"]) == ("new", {"a": 1}, FINE_TUNING)
    replaced = store.update_conversation(conversation_id, extra=LEGACY)
    assert (replaced["title"], replaced["extra"]) == ("new", LEGACY)
    emptied = store.update_conversation(conversation_id, extra={})
    assert emptied["extra"] == {}
    assert store.get_conversation(conversation_id)["extra"] == {}
    assert emptied["updated_at"] == before["updated_at"]


def test_a_branch_carries_its_parents_extra(store, user):
    root = store.create_conversation(user, title="root", extra=FINE_TUNING)
    store.add_messages(
        root, [{"role": "user", "content": "one"}, {"role": "assistant", "content": "two"}]
    )

    fork = store.fork_conversation(root, 1)
    renamed = store.fork_conversation(root, 2, title="other", metadata={"k": 1})
    edited = store.edit_message(root, 2, {"role": "assistant", "content": "deux"})
    assert store.get_conversation(fork)["extra"] == FINE_TUNING
    assert store.get_conversation(renamed)["extra"] == FINE_TUNING
    assert store.get_conversation(edited["conversation_id"])["extra"] == FINE_TUNING

    store.update_conversation(fork, extra=LEGACY)  # a branch's own, from then on
    assert store.get_conversation(fork)["extra"] == LEGACY
    assert store.get_conversation(root)["extra"] == FINE_TUNING
    assert store.get_conversation(store.fork_conversation(fork, 1))["extra"] == LEGACY


def test_import_stores_extra_and_absent_or_none_is_empty(store, user):
    times = {"created_at": "2026-11-01T09:00:00Z", "updated_at": "2026-11-01T09:05:00Z"}
    with_extra, absent, none = (str(uuid.uuid4()) for _ in range(3))
    message = {"seq": 1, "role": "user", "content": "Hi", "created_at": "2026-11-01T09:00:00Z"}

    store.import_conversation(
        {"id": with_extra, "user_id": user, **times, "extra": LEGACY}, [message]
    )
    store.import_conversation({"id": absent, "user_id": user, **times})
    store.import_conversation({"id": none, "user_id": user, **times, "extra": None})
    branch = str(uuid.uuid4())
    store.import_conversation(
        {
            "id": branch,
            "user_id": user,
            **times,
            "parent_id": with_extra,
            "fork_seq": 1,
            "extra": FINE_TUNING,
        },
        [message],
    )

    assert store.get_conversation(with_extra)["extra"] == LEGACY
    assert store.get_conversation(absent)["extra"] == {}
    assert store.get_conversation(none)["extra"] == {}
    assert store.get_conversation(branch)["extra"] == FINE_TUNING  # an import's own
    # Importing again keeps the conversation as it is, extra included.
    again = store.import_conversation({"id": with_extra, "user_id": user, **times, "extra": {}})
    assert not again.created
    assert store.get_conversation(with_extra)["extra"] == LEGACY


@pytest.mark.parametrize("extra, complaint", NOT_VALID)
def test_bad_extra_is_refused_and_nothing_changes(store, user, extra, complaint):
    conversation_id = store.create_conversation(user, title="kept", extra=FINE_TUNING)
    listed = _listed(store, user)
    times = {"created_at": "2026-11-01T09:00:00Z", "updated_at": "2026-11-01T09:05:00Z"}
    new_id = str(uuid.uuid4())

    with pytest.raises(InvalidInput, match=complaint):
        store.create_conversation(user, title="new", extra=extra)
    with pytest.raises(InvalidInput, match=complaint):
        store.update_conversation(conversation_id, title="changed", extra=extra)
    with pytest.raises(InvalidInput, match=f"conversation.{complaint}"):
        store.import_conversation(
            {"id": new_id, "user_id": user, **times, "extra": extra},
            [{"seq": 1, "role": "user", "content": "Hi", "created_at": times["created_at"]}],
        )
    assert _listed(store, user) == listed
    assert store.get_conversation(new_id) is None


def test_extra_over_the_limits_is_refused(store, user):
    conversation_id = store.create_conversation(user, extra=FINE_TUNING)
    too_large = {"model": "x" * store.limits.max_json_bytes}
    too_deep: dict = {}
    for _ in range(store.limits.max_json_depth + 1):
        too_deep = {"nested": too_deep}

    for extra in (too_large, too_deep):
        with pytest.raises(InvalidInput, match="extra"):
            store.create_conversation(user, extra=extra)
        with pytest.raises(InvalidInput, match="extra"):
            store.update_conversation(conversation_id, extra=extra)
    assert [c["extra"] for c in store.list_conversations(user)] == [FINE_TUNING]
