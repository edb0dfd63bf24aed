"""Store.import_conversation: the import protocol every importer calls, on
SQLite and PostgreSQL; and the shapes of convstore.types against what the
store really returns."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from convstore import InvalidInput, Limits
from convstore.store import Store
from convstore.types import (
    CONVERSATION_FIELDS,
    IMPORTED_CONVERSATION_FIELDS,
    IMPORTED_MESSAGE_FIELDS,
    MESSAGE_FIELDS,
    NEW_MESSAGE_FIELDS,
    ContextMessage,
    ConversationHit,
    ConversationStats,
    ConversationWithMessages,
    DeletionCounts,
    ImportResult,
    MessageHit,
    MetadataMatch,
    TextMatch,
    UserStats,
)
from convstore.validation import message as checked_message

CALL = {"id": "call-1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}


def _conversation_with_everything(store: Store, user: str) -> str:
    """A conversation whose messages use every field, with a gap in its seqs."""
    conversation_id = store.create_conversation(user, "Trip", {"channel": "web", "n": [1, 2.5]})
    store.add_messages(
        conversation_id,
        [
            {"role": "system", "content": "Be brief.", "tokens": 3, "pinned": True},
            {
                "role": "user",
                "content": "Weather in Lisbon?",
                "name": "ana",
                "idempotency_key": "r1",
            },
            {"role": "assistant", "content": None, "tool_calls": [CALL], "latency_ms": 840},
            {"role": "tool", "content": '{"sky": "clear"}', "tool_call_id": "call-1"},
            {"role": "assistant", "content": "Clear.", "tokens": 2},
            {"role": "user", "content": "thanks", "tokens": 1, "metadata": {"model": "m"}},
        ],
    )
    store.delete_message(conversation_id, 5)
    return conversation_id


def _as_import(stored: ConversationWithMessages) -> tuple[dict, list[dict]]:
    """A stored conversation in the shape import_conversation takes."""
    conversation = {key: stored[key] for key in IMPORTED_CONVERSATION_FIELDS}
    messages = [
        {key: message[key] for key in IMPORTED_MESSAGE_FIELDS} for message in stored["messages"]
    ]
    return conversation, messages


def _snapshot(store: Store, conversation_id: str) -> tuple[Any, ...]:
    return (
        store.get_conversation(conversation_id),
        store.get_recent_context(conversation_id, max_tokens=150),
        store.get_conversation_stats(conversation_id),
    )


def test_an_imported_conversation_reads_back_exactly(store, user):
    conversation_id = _conversation_with_everything(store, user)
    original = _snapshot(store, conversation_id)
    conversation, messages = _as_import(original[0])
    store.delete_conversation(conversation_id)

    result = store.import_conversation(conversation, messages)

    assert result == ImportResult(created=True, messages=5, rejected=())
    assert _snapshot(store, conversation_id) == original
    assert [m["seq"] for m in original[0]["messages"]] == [1, 2, 3, 4, 6]
    added = store.add_message(conversation_id, "assistant", "You're welcome.")
    assert added["seq"] == 7  # the next seq after the imported ones


def test_importing_again_adds_nothing_and_changes_nothing(store, user):
    conversation_id = _conversation_with_everything(store, user)
    conversation, messages = _as_import(store.get_conversation(conversation_id))
    store.delete_conversation(conversation_id)
    store.import_conversation(conversation, messages[:3])
    after_first = _snapshot(store, conversation_id)

    assert store.import_conversation(conversation, messages[:3]) == ImportResult(False, 0)
    assert _snapshot(store, conversation_id) == after_first
    # What was missing is added, what was there is kept.
    changed = [{**messages[0], "content": "rewritten"}, *messages[1:]]
    assert store.import_conversation(conversation, changed) == ImportResult(False, 2)
    assert store.get_messages(conversation_id, limit=None)[0]["content"] == "Be brief."
    assert store.get_conversation(conversation_id)["message_count"] == 5


def test_an_import_moves_the_last_activity_forward_never_back(store, user):
    conversation_id = str(uuid.uuid4())
    day = datetime(2026, 11, 25, tzinfo=timezone.utc)
    conversation = {"id": conversation_id, "user_id": user, "created_at": day, "updated_at": day}
    message = {"role": "user", "content": "hi", "seq": 1, "created_at": day + timedelta(hours=1)}
    store.import_conversation(conversation, [message])
    assert store.get_conversation(conversation_id)["updated_at"] == day + timedelta(hours=1)
    store.import_conversation({**conversation, "updated_at": "2026-11-24"}, [])
    assert store.get_conversation(conversation_id)["updated_at"] == day + timedelta(hours=1)
    store.import_conversation({**conversation, "updated_at": "2026-11-27T00:00:00+01:00"}, [])
    assert store.get_conversation(conversation_id)["updated_at"] == day + timedelta(hours=47)


def test_another_users_conversation_id_is_refused_and_nothing_changes(store, user):
    conversation_id = _conversation_with_everything(store, user)
    before = _snapshot(store, conversation_id)
    conversation, messages = _as_import(before[0])
    intruder = f"{user}-other"
    extra = {"role": "user", "content": "mine now", "seq": 9, "created_at": "2026-11-26"}

    with pytest.raises(InvalidInput, match="another user"):
        store.import_conversation({**conversation, "user_id": intruder}, [*messages, extra])

    assert _snapshot(store, conversation_id) == before
    assert store.list_conversations(intruder) == []


def test_a_user_scoped_view_imports_only_its_own_users_conversations(store, user):
    view = store.for_user(user)
    conversation_id = str(uuid.uuid4())
    conversation = {"id": conversation_id, "created_at": "2026-11-25", "updated_at": "2026-11-25"}
    assert view.import_conversation(conversation).created  # the owner is the view's user
    assert store.get_conversation(conversation_id)["user_id"] == user

    other = {**conversation, "id": str(uuid.uuid4()), "user_id": f"{user}-other"}
    with pytest.raises(InvalidInput, match="limited to user"):
        view.import_conversation(other)
    assert store.get_conversation(other["id"]) is None
    foreign = store.create_conversation(f"{user}-other")
    with pytest.raises(InvalidInput, match="another user"):
        view.import_conversation({**conversation, "id": foreign})


def _valid() -> tuple[dict, list[dict]]:
    conversation = {
        "id": str(uuid.uuid4()),
        "user_id": "someone",
        "title": "short",
        "metadata": {"k": "v"},
        "created_at": "2026-11-25T10:00:00Z",
        "updated_at": "2026-11-25T10:01:00Z",
    }
    messages = [
        {"role": "user", "content": "hi", "seq": 1, "created_at": "2026-11-25T10:00:00Z"},
        {"role": "assistant", "content": "hello", "seq": 2, "created_at": "2026-11-25T10:01:00Z"},
    ]
    return conversation, messages


INVALID = [
    # (where, field, value, what the error says)
    ("conversation", "title", ["a list"], "title must be a string"),
    ("conversation", "title", "a\x00b", "NUL"),
    ("conversation", "title", "x" * 65, "Limits.max_text_bytes"),
    ("conversation", "metadata", {f"k{i}": "v" * 20 for i in range(9)}, "Limits.max_json_bytes"),
    ("conversation", "metadata", ["not", "an object"], "metadata must be a JSON object"),
    ("conversation", "user_id", "u" * 33, "Limits.max_identifier_bytes"),
    ("conversation", "user_id", None, "user_id must be a non-empty string"),
    ("conversation", "id", 42, "conversation.id must be a UUID or a non-empty name"),
    (
        "conversation",
        "id",
        "6f1e7c52-2b7e-4c1a-9d55-0c7f1b0e9a3",
        "conversation.id .* not a valid UUID",
    ),
    ("conversation", "created_at", "yesterday", "created_at must be an ISO 8601"),
    ("conversation", "updated_at", "infinity", "updated_at must be an ISO 8601"),
    ("conversation", "titel", "typo", "unknown conversation fields: titel"),
    ("message", "content", "x" * 65, "messages\\[1\\]: content is 65 bytes"),
    ("message", "role", "wizard", "messages\\[1\\]: role must be one of"),
    ("message", "seq", 0, "messages\\[1\\]: seq must be between 1"),
    ("message", "seq", 1, "two messages have seq 1"),
    ("message", "idempotency_key", "k" * 33, "Limits.max_identifier_bytes"),
    ("message", "created_at", None, "messages\\[1\\]: created_at must be an ISO 8601"),
    ("message", "conversation_id", "x", "unknown message fields: conversation_id"),
]


@pytest.mark.parametrize(("where", "field", "value", "error"), INVALID, ids=repr)
def test_every_value_is_checked_against_the_stores_limits_before_anything_is_written(
    open_store, where, field, value, error
):
    store = open_store(
        limits=Limits(max_text_bytes=64, max_json_bytes=128, max_identifier_bytes=32)
    )
    conversation, messages = _valid()
    assert store.import_conversation(conversation, messages).created  # valid as it is
    store.delete_conversation(conversation["id"])
    if where == "conversation":
        conversation[field] = value
    else:
        messages[1][field] = value

    with pytest.raises(InvalidInput, match=error):
        store.import_conversation(conversation, messages)

    if field != "id":
        assert store.get_conversation(conversation["id"]) is None


@pytest.mark.parametrize("missing", ["id", "created_at", "updated_at"])
def test_a_conversation_needs_its_id_and_times(store, user, missing):
    conversation, _ = _valid()
    del conversation[missing]
    with pytest.raises(InvalidInput, match=f"each conversation needs the field {missing}"):
        store.import_conversation(conversation)


def test_skip_invalid_imports_the_rest_and_says_what_it_left_out(store, user):
    conversation, messages = _valid()
    conversation["user_id"] = user
    messages.insert(1, {"role": "wizard", "content": "x", "seq": 5, "created_at": "2026-11-25"})
    messages.append({"role": "user", "content": "hi", "created_at": "2026-11-25"})

    result = store.import_conversation(conversation, messages, skip_invalid=True)

    assert (result.created, result.messages) == (True, 2)
    assert [index for index, _ in result.rejected] == [1, 3]
    assert "role must be one of" in result.rejected[0][1]
    assert "needs the field seq" in result.rejected[1][1]
    stored = store.get_conversation(conversation["id"])
    assert [m["seq"] for m in stored["messages"]] == [1, 2]
    assert stored["message_count"] == 2


def test_a_message_the_database_refuses_fails_the_import_or_is_skipped(store, user):
    conversation, messages = _valid()
    conversation["user_id"] = user
    messages[0]["idempotency_key"] = "k1"
    store.import_conversation(conversation, messages)
    before = _snapshot(store, conversation["id"])
    clash = {"role": "user", "content": "again", "seq": 3, "created_at": "2026-11-26"}
    later = {"role": "user", "content": "later", "seq": 4, "created_at": "2026-11-26"}

    with pytest.raises(InvalidInput, match="messages\\[0\\]: .* already holds idempotency_key"):
        store.import_conversation(conversation, [{**clash, "idempotency_key": "k1"}, later])
    assert _snapshot(store, conversation["id"]) == before

    result = store.import_conversation(
        conversation, [{**clash, "idempotency_key": "k1"}, later], skip_invalid=True
    )
    assert (result.messages, [index for index, _ in result.rejected]) == (1, [0])
    assert "idempotency_key" in result.rejected[0][1]
    assert [m["seq"] for m in store.get_messages(conversation["id"], limit=None)] == [1, 2, 4]


# -- the shapes of convstore.types -------------------------------------------------------


def test_the_checked_message_has_the_fields_of_a_new_message():
    # and the fingerprint of what it says, which the store computes
    checked = set(checked_message(role="user", content="hi"))
    assert checked == {*NEW_MESSAGE_FIELDS, "fingerprint", "content_parts", "tokens_estimated"}
    assert set(IMPORTED_MESSAGE_FIELDS) == set(MESSAGE_FIELDS) - {"conversation_id"}
    assert set(IMPORTED_CONVERSATION_FIELDS) == set(CONVERSATION_FIELDS) - {"message_count"}


def _keys(shape: Any) -> set[str]:
    return set(shape.__annotations__)


def test_what_the_store_returns_has_exactly_the_fields_of_its_type(store, user):
    conversation_id = _conversation_with_everything(store, user)
    stored = store.get_conversation(conversation_id)

    assert set(stored) == _keys(ConversationWithMessages)
    assert all(tuple(message) == MESSAGE_FIELDS for message in stored["messages"])
    assert tuple(store.get_message(conversation_id, 1)) == MESSAGE_FIELDS
    assert tuple(store.get_messages(conversation_id)[0]) == MESSAGE_FIELDS
    assert tuple(store.add_message(conversation_id, "user", "Lisbon again")) == MESSAGE_FIELDS
    assert tuple(store.set_message_tokens(conversation_id, 1, 4)) == MESSAGE_FIELDS
    assert tuple(store.list_conversations(user)[0]) == CONVERSATION_FIELDS
    matches = store.find_conversations_by_metadata(user, {"channel": "web"})
    assert tuple(matches[0]) == CONVERSATION_FIELDS
    assert set(store.get_recent_context(conversation_id)[0]) == _keys(ContextMessage)
    assert set(store.search_messages(user, "lisbon")[0]) == _keys(MessageHit)
    assert set(store.search_conversations(user, "lisbon")[0]) == _keys(ConversationHit)
    assert set(store.find_messages(user, "lisbon")[0]) == _keys(TextMatch)
    assert set(store.find_messages_by_metadata(user, {"model": "m"})[0]) == _keys(MetadataMatch)
    assert set(store.get_conversation_stats(conversation_id)) == _keys(ConversationStats)
    assert set(store.get_user_stats(user)) == _keys(UserStats)
    assert set(store.delete_user_data(user)) == _keys(DeletionCounts)
