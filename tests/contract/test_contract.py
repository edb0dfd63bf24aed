"""The behaviour of the public API, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from convstore import (
    CONVERSATION_NAMESPACE,
    ConversationExists,
    InvalidInput,
    NotFound,
    message_fingerprint,
)

from ..conftest import CITUS_WORKERS


def _contents(messages):
    return [message["content"] for message in messages]


def _conversation_with(store, user, count, **message_fields):
    conversation_id = store.create_conversation(user)
    store.add_messages(
        conversation_id,
        [{"role": "user", "content": f"m{i}", **message_fields} for i in range(1, count + 1)],
    )
    return conversation_id


# -- conversations ---------------------------------------------------------------------


def test_create_and_get_conversation_round_trips_fields(store, user):
    metadata = {"channel": "web", "tags": ["a", "b"], "nested": {"n": 1.5, "ok": True}}
    conversation_id = store.create_conversation(user, title="Trip ☀", metadata=metadata)

    assert str(uuid.UUID(conversation_id)) == conversation_id
    conversation = store.get_conversation(conversation_id)
    assert conversation["id"] == conversation_id
    assert conversation["user_id"] == user
    assert conversation["title"] == "Trip ☀"
    assert conversation["metadata"] == metadata
    assert conversation["message_count"] == 0
    assert conversation["messages"] == []


def test_timestamps_are_timezone_aware_utc_and_recent(store, user):
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    conversation_id = store.create_conversation(user)
    message = store.add_message(conversation_id, "user", "hi")
    conversation = store.get_conversation(conversation_id)

    for stamp in (conversation["created_at"], conversation["updated_at"], message["created_at"]):
        assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
        assert before <= stamp <= datetime.now(timezone.utc) + timedelta(seconds=5)
    assert conversation["updated_at"] >= conversation["created_at"]


def test_missing_conversation_reads_as_none_or_empty(store):
    missing = str(uuid.uuid4())
    assert store.get_conversation(missing) is None
    assert store.get_messages(missing) == []
    assert store.get_recent_context(missing, max_tokens=100) == []
    assert store.get_conversation_stats(missing) is None
    assert store.delete_conversation(missing) is False


def test_list_conversations_most_recently_active_first(store, user):
    first = store.create_conversation(user, title="first")
    time.sleep(0.002)  # SQLite timestamps have millisecond resolution
    second = store.create_conversation(user, title="second")
    time.sleep(0.002)
    third = store.create_conversation(user, title="third")
    time.sleep(0.002)
    store.add_message(first, "user", "bump")  # first is now the most recently active
    store.create_conversation("someone-else")

    listed = store.list_conversations(user)
    assert [c["id"] for c in listed] == [first, third, second]
    assert listed[0]["message_count"] == 1
    assert "messages" not in listed[0]
    assert [c["id"] for c in store.list_conversations(user, limit=2)] == [first, third]


def test_delete_conversation_deletes_its_messages(store, user):
    conversation_id = _conversation_with(store, user, 3)
    kept = _conversation_with(store, user, 2)

    assert store.delete_conversation(conversation_id) is True
    assert store.get_conversation(conversation_id) is None
    assert store.run("conversation_messages", conversation_id=conversation_id) == []
    assert len(store.get_messages(kept)) == 2


# -- messages --------------------------------------------------------------------------


def test_add_message_returns_stored_message_with_seq(store, user):
    conversation_id = store.create_conversation(user)
    first = store.add_message(conversation_id, "system", "be brief")
    second = store.add_message(
        conversation_id,
        "user",
        "hello",
        tokens=3,
        latency_ms=0,
        metadata={"lang": "en"},
        name="ann",
    )

    assert first["seq"] == 1 and second["seq"] == 2
    assert second["conversation_id"] == conversation_id
    assert second["role"] == "user"
    assert second["content"] == "hello"
    assert second["tokens"] == 3
    assert second["latency_ms"] == 0
    assert second["metadata"] == {"lang": "en"}
    assert second["name"] == "ann"
    assert store.get_messages(conversation_id) == [first, second]


def test_tool_call_exchange_round_trips_in_openai_format(store, user):
    conversation_id = store.create_conversation(user)
    calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city": "Lisbon"}'},
        }
    ]
    store.add_message(conversation_id, "assistant", None, tool_calls=calls)
    store.add_message(
        conversation_id, "tool", '{"temp": 21}', tool_call_id="call_1", name="weather"
    )

    stored = store.get_messages(conversation_id)
    assert stored[0]["content"] is None
    assert stored[0]["tool_calls"] == calls
    assert stored[1]["tool_call_id"] == "call_1"
    assert stored[1]["name"] == "weather"


def test_add_messages_keeps_order_under_equal_timestamps(store, user):
    conversation_id = store.create_conversation(user)
    batch = [{"role": "user" if i % 2 else "assistant", "content": f"m{i}"} for i in range(200)]
    stored = store.add_messages(conversation_id, batch)

    assert [m["seq"] for m in stored] == list(range(1, 201))
    assert _contents(store.get_messages(conversation_id, limit=None)) == [
        f"m{i}" for i in range(200)
    ]
    assert store.get_conversation(conversation_id)["message_count"] == 200


def test_add_messages_continues_the_sequence(store, user):
    conversation_id = _conversation_with(store, user, 2)
    stored = store.add_messages(conversation_id, [{"role": "user", "content": "m3"}])
    assert stored[0]["seq"] == 3


def test_get_messages_returns_newest_oldest_first_and_pages_back(store, user):
    conversation_id = _conversation_with(store, user, 7)

    newest = store.get_messages(conversation_id, limit=3)
    assert _contents(newest) == ["m5", "m6", "m7"]
    page = store.get_messages(conversation_id, limit=3, before_seq=newest[0]["seq"])
    assert _contents(page) == ["m2", "m3", "m4"]
    last_page = store.get_messages(conversation_id, limit=3, before_seq=page[0]["seq"])
    assert _contents(last_page) == ["m1"]
    assert store.get_messages(conversation_id, limit=3, before_seq=1) == []
    assert _contents(store.get_messages(conversation_id, limit=None, before_seq=3)) == ["m1", "m2"]


def test_get_conversation_includes_all_messages_in_order(store, user):
    conversation_id = _conversation_with(store, user, 60)
    conversation = store.get_conversation(conversation_id)
    assert _contents(conversation["messages"]) == [f"m{i}" for i in range(1, 61)]
    assert conversation["message_count"] == 60


# -- token-budget context ----------------------------------------------------------------


def test_recent_context_is_newest_suffix_within_budget(store, user):
    conversation_id = store.create_conversation(user)
    estimated = "x" * 388  # no count given: estimated as 3 + 388 / 4 = 100
    for tokens in (50, 30, None, 20, 10):
        store.add_message(
            conversation_id, "user", estimated if tokens is None else f"t{tokens}", tokens=tokens
        )

    context = store.get_recent_context(conversation_id, max_tokens=135)
    # Newest first: 10, 20, then the estimated 100 (130), then 30 would make 160.
    assert _contents(context) == [estimated, "t20", "t10"]
    assert [m["suffix_tokens"] for m in context] == [130, 30, 10]


def test_recent_context_edge_budgets(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "a", tokens=5)
    store.add_message(conversation_id, "user", "b", tokens=0)
    store.add_message(conversation_id, "user", "c", tokens=7)

    assert store.get_recent_context(conversation_id, max_tokens=0) == []
    assert _contents(store.get_recent_context(conversation_id, max_tokens=7)) == ["b", "c"]
    assert _contents(store.get_recent_context(conversation_id, max_tokens=12)) == ["a", "b", "c"]
    assert _contents(store.get_recent_context(conversation_id, max_tokens=6)) == []


# -- search and statistics -----------------------------------------------------------------


@pytest.mark.parametrize("needle", ["100%", "a_b", "back\\slash", "'; DROP TABLE messages; --"])
def test_find_messages_treats_wildcards_and_quotes_as_text(store, user, needle):
    hit = store.create_conversation(user, title="hit")
    miss = store.create_conversation(user, title="miss")
    store.add_message(hit, "user", f"before {needle.upper()} after")
    store.add_message(miss, "user", "100 percent, axb, backslash, drop table")

    found = store.find_messages(user, needle)
    assert [(m["conversation_id"], m["seq"], m["title"]) for m in found] == [(hit, 1, "hit")]


def test_search_is_case_insensitive_and_limited_to_the_user(store, user):
    mine = store.create_conversation(user)
    theirs = store.create_conversation(f"{user}-other")
    store.add_message(mine, "user", "Pastel de NATA")
    store.add_message(mine, "assistant", "nata again")
    store.add_message(theirs, "user", "nata")

    found = store.search_conversations(user, "nata")
    assert [c["id"] for c in found] == [mine]
    assert found[0]["matching_messages"] == 2


def test_conversation_stats(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "q", tokens=10)
    store.add_message(conversation_id, "assistant", "a", tokens=20, latency_ms=100)
    store.add_message(conversation_id, "assistant", "b", latency_ms=300)

    stats = store.get_conversation_stats(conversation_id)
    messages = store.get_messages(conversation_id)
    assert stats["conversation_id"] == conversation_id
    assert stats["message_count"] == 3
    assert stats["total_tokens"] == 30
    assert stats["avg_latency_ms"] == pytest.approx(200.0)
    assert stats["started_at"] == store.get_conversation(conversation_id)["created_at"]
    assert stats["last_message_at"] == messages[-1]["created_at"]


def test_stats_of_empty_conversation(store, user):
    stats = store.get_conversation_stats(store.create_conversation(user))
    assert stats["message_count"] == 0
    assert stats["total_tokens"] == 0
    assert stats["avg_latency_ms"] is None
    assert stats["last_message_at"] is None


# -- transactions --------------------------------------------------------------------------


def test_transaction_commits_all_calls_together(store, user):
    with store.transaction():
        conversation_id = store.create_conversation(user)
        store.add_message(conversation_id, "user", "one")
        store.add_message(conversation_id, "assistant", "two")
    assert _contents(store.get_messages(conversation_id)) == ["one", "two"]


def test_transaction_rolls_back_everything_on_error(store, user):
    kept = _conversation_with(store, user, 1)
    with pytest.raises(RuntimeError), store.transaction():
        store.create_conversation(user, title="never")
        store.add_message(kept, "user", "never stored")
        raise RuntimeError("boom")

    assert [c["id"] for c in store.list_conversations(user)] == [kept]
    assert _contents(store.get_messages(kept)) == ["m1"]
    assert store.add_message(kept, "user", "next")["seq"] == 2


def test_nested_transaction_failure_undoes_only_its_own_work(store, user):
    conversation_id = store.create_conversation(user)
    with store.transaction():
        store.add_message(conversation_id, "user", "outer")
        with pytest.raises(InvalidInput), store.transaction():
            store.add_message(conversation_id, "user", "inner")
            store.add_message(conversation_id, "robot", "bad role")
        store.add_message(conversation_id, "user", "after")

    assert _contents(store.get_messages(conversation_id)) == ["outer", "after"]
    assert [m["seq"] for m in store.get_messages(conversation_id)] == [1, 2]


# -- errors --------------------------------------------------------------------------------


def test_writes_to_a_missing_conversation_raise_not_found(store):
    missing = str(uuid.uuid4())
    with pytest.raises(NotFound, match=missing):
        store.add_message(missing, "user", "hi")
    with pytest.raises(NotFound):
        store.add_messages(missing, [{"role": "user", "content": "hi"}])
    assert store.get_messages(missing) == []


BAD_MESSAGES = [
    pytest.param({"role": "robot", "content": "x"}, "role", id="unknown-role"),
    pytest.param({"role": "user", "content": "x", "tokens": -1}, "tokens", id="negative-tokens"),
    pytest.param({"role": "user", "content": "x", "tokens": 1.5}, "tokens", id="fractional-tokens"),
    pytest.param({"role": "user", "content": "x", "tokens": True}, "tokens", id="bool-tokens"),
    pytest.param(
        {"role": "user", "content": "x", "latency_ms": -3}, "latency_ms", id="negative-latency"
    ),
    pytest.param(
        {"role": "user", "content": "x", "metadata": [1, 2]}, "metadata", id="metadata-list"
    ),
    pytest.param(
        {"role": "user", "content": "x", "metadata": "{}"}, "metadata", id="metadata-string"
    ),
    pytest.param({"role": "user", "content": "a\x00b"}, "NUL", id="nul-in-content"),
    pytest.param(
        {"role": "user", "content": "x", "metadata": {"k": "v\x00"}}, "NUL", id="nul-in-metadata"
    ),
    pytest.param({"role": "user", "content": "\ud800"}, "Unicode", id="lone-surrogate"),
    pytest.param({"role": "user", "content": None}, "content", id="missing-content"),
    pytest.param({"role": "tool", "content": "42"}, "tool_call_id", id="tool-without-call-id"),
    pytest.param(
        {"role": "user", "content": "x", "metadata": {"n": float("nan")}}, "JSON", id="nan"
    ),
]


@pytest.mark.parametrize(("message", "complaint"), BAD_MESSAGES)
def test_invalid_messages_are_rejected_before_anything_is_written(store, user, message, complaint):
    conversation_id = _conversation_with(store, user, 1)
    with pytest.raises(InvalidInput, match=complaint):
        store.add_message(conversation_id, **message)
    with pytest.raises(InvalidInput, match=complaint):
        store.add_messages(conversation_id, [{"role": "user", "content": "fine"}, message])

    assert _contents(store.get_messages(conversation_id)) == ["m1"]
    assert store.get_conversation(conversation_id)["message_count"] == 1


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        pytest.param({"user_id": ""}, "user_id", id="empty-user"),
        pytest.param({"user_id": 7}, "user_id", id="numeric-user"),
        pytest.param({"user_id": "u", "metadata": ["x"]}, "metadata", id="metadata-list"),
        pytest.param({"user_id": "u", "title": "t\x00"}, "NUL", id="nul-title"),
    ],
)
def test_invalid_conversations_are_rejected(store, arguments, complaint):
    with pytest.raises(InvalidInput, match=complaint):
        store.create_conversation(**arguments)


def test_malformed_ids_and_limits_are_invalid_input(store, user):
    conversation_id = store.create_conversation(user)
    with pytest.raises(InvalidInput, match="UUID or a non-empty name"):
        store.get_messages("")
    with pytest.raises(InvalidInput, match="UUID or a non-empty name"):
        store.add_message(42, "user", "x")
    with pytest.raises(InvalidInput, match="NUL"):
        store.get_messages("thread\x00")
    with pytest.raises(InvalidInput, match="limit"):
        store.get_messages(conversation_id, limit=0)
    with pytest.raises(InvalidInput, match="max_tokens"):
        store.get_recent_context(conversation_id, max_tokens=-1)
    assert store.search_conversations(user, "   ") == []


def test_ids_are_accepted_in_any_uuid_spelling(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id.upper(), "user", "hi")
    assert store.get_conversation(uuid.UUID(conversation_id))["message_count"] == 1


def test_a_name_stands_for_its_uuid5_everywhere(store, user):
    conversation_id = store.create_conversation(user, conversation_id=f"{user}-conv-2")
    assert conversation_id == str(uuid.uuid5(CONVERSATION_NAMESPACE, f"{user}-conv-2"))
    store.add_message(f"{user}-conv-2", "user", "hi")
    assert _contents(store.get_messages(f"{user}-conv-2")) == ["hi"]
    assert store.get_conversation(conversation_id)["message_count"] == 1
    assert store.get_messages(f"{user}-conv-3") == []  # another name, another conversation
    with pytest.raises(NotFound, match="does not exist"):
        store.add_message(f"{user}-conv-3", "user", "hi")
    # "1; DROP TABLE messages" is a name like any other: bound, never SQL
    assert store.get_messages(f"{user}; DROP TABLE messages") == []


def test_create_conversation_with_a_chosen_id(store, user):
    chosen = str(uuid.uuid4())
    assert store.create_conversation(user, title="t", conversation_id=chosen.upper()) == chosen
    with pytest.raises(ConversationExists, match=chosen):
        store.create_conversation(user, title="again", conversation_id=chosen)
    with pytest.raises(ConversationExists):
        store.create_conversation("someone-else", conversation_id=uuid.UUID(chosen))
    conversation = store.get_conversation(chosen)
    assert (conversation["user_id"], conversation["title"]) == (user, "t")


def test_ensure_conversation_creates_once_and_returns_it_after(store, user):
    first = store.ensure_conversation(f"{user}-a", user, title="A", metadata={"k": 1})
    assert first["id"] == str(uuid.uuid5(CONVERSATION_NAMESPACE, f"{user}-a"))
    assert (first["user_id"], first["title"], first["metadata"]) == (user, "A", {"k": 1})
    store.add_message(f"{user}-a", "user", "hi")
    again = store.ensure_conversation(f"{user}-a", user, title="ignored")
    assert again["title"] == "A" and again["message_count"] == 1
    assert again["created_at"] == first["created_at"]


def test_ensure_conversation_of_another_user_changes_nothing(store, user):
    store.ensure_conversation(f"{user}-b", user, title="mine")
    with pytest.raises(ConversationExists, match="another user"):
        store.ensure_conversation(f"{user}-b", "intruder", title="theirs")
    conversation = store.get_conversation(f"{user}-b")
    assert (conversation["user_id"], conversation["title"]) == (user, "mine")


def test_update_conversation_title_and_metadata(store, user):
    conversation_id = store.create_conversation(user, title="old", metadata={"a": 1, "b": 2})
    before = store.get_conversation(conversation_id)

    updated = store.update_conversation(conversation_id, title="new")
    assert (updated["title"], updated["metadata"]) == ("new", {"a": 1, "b": 2})
    updated = store.update_conversation(conversation_id, metadata={"c": 3})
    assert (updated["title"], updated["metadata"]) == ("new", {"c": 3})
    updated = store.update_conversation(conversation_id, title=None)
    assert (updated["title"], updated["metadata"]) == (None, {"c": 3})
    assert updated["updated_at"] == before["updated_at"]
    assert store.get_conversation(conversation_id)["metadata"] == {"c": 3}


def test_update_conversation_metadata_patch_follows_rfc_7396(store, user):
    conversation_id = store.create_conversation(
        user,
        metadata={
            "title": "Goodbye!",
            "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"],
            "content": "This will be unchanged",
        },
    )
    # The example of RFC 7396, section 3
    patched = store.update_conversation(
        conversation_id,
        metadata_patch={
            "title": "Hello!",
            "phoneNumber": "+01-123-456-7890",
            "author": {"familyName": None},
            "tags": ["example"],
        },
    )
    assert patched["metadata"] == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


def test_concurrent_metadata_patches_all_apply(store, user):
    conversation_id = store.create_conversation(user)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda key: store.update_conversation(
                    conversation_id, metadata_patch={f"k{key}": key}
                ),
                range(16),
            )
        )
    assert store.get_conversation(conversation_id)["metadata"] == {f"k{k}": k for k in range(16)}


def test_update_conversation_refuses_bad_input_and_missing_conversations(store, user):
    conversation_id = store.create_conversation(user, title="t", metadata={"a": 1})
    with pytest.raises(InvalidInput, match="not both"):
        store.update_conversation(conversation_id, metadata={}, metadata_patch={})
    with pytest.raises(InvalidInput, match="metadata_patch"):
        store.update_conversation(conversation_id, metadata_patch=["a"])
    with pytest.raises(InvalidInput, match="NUL"):
        store.update_conversation(conversation_id, title="x\x00")
    with pytest.raises(NotFound):
        store.update_conversation(str(uuid.uuid4()), title="x")
    with pytest.raises(NotFound):
        store.update_conversation(str(uuid.uuid4()), metadata_patch={"a": 2})
    conversation = store.get_conversation(conversation_id)
    assert (conversation["title"], conversation["metadata"]) == ("t", {"a": 1})


# -- tracing and threads -------------------------------------------------------------------


def test_tracer_sees_each_statement_tagged_with_its_file(store, user):
    seen = []
    with store.tracer(lambda statement, params: seen.append((statement, dict(params)))):
        conversation_id = store.create_conversation(user)
        store.get_recent_context(conversation_id, max_tokens=10)
    store.list_conversations(user)  # after the block: not traced

    tags = [
        re.fullmatch(r"/\* convstore: sql/(\w+)/(\w+)\.sql \*/", statement.splitlines()[0])
        for statement, _ in seen
    ]
    assert [tag and tag[2] for tag in tags] == ["create_conversation", "recent_context"]
    on_citus = CITUS_WORKERS and store.dialect == "postgres"  # its own recent_context
    assert [tag[1] for tag in tags] == [store.dialect, "citus" if on_citus else store.dialect]
    assert seen[1][1] == {
        "conversation_id": conversation_id,
        "max_tokens": 10,
        "keep_tool_groups": True,
        "user_id": None,
    }


def test_appends_from_many_threads_keep_seq_gapless(store, user):
    conversation_id = store.create_conversation(user)

    def append_many(writer):
        if writer % 2:  # odd writers append in batches of 5
            batches = [
                [{"role": "user", "content": f"{writer}-{i}-{j}"} for j in range(5)]
                for i in range(5)
            ]
            return [
                m["seq"] for batch in batches for m in store.add_messages(conversation_id, batch)
            ]
        return [
            store.add_message(conversation_id, "user", f"{writer}-{i}")["seq"] for i in range(25)
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        acknowledged = [seq for seqs in pool.map(append_many, range(8)) for seq in seqs]

    stored = store.get_messages(conversation_id, limit=None)
    assert sorted(acknowledged) == [m["seq"] for m in stored] == list(range(1, 201))
    assert len({m["content"] for m in stored}) == 200
    total = sum(m["tokens"] for m in stored)  # the running totals count every one once
    context = store.get_recent_context(conversation_id, max_tokens=total)
    assert len(context) == 200 and context[0]["suffix_tokens"] == total
    assert store.get_recent_context(conversation_id, max_tokens=total - 1)[0]["seq"] == 2


# -- editing, deleting, pinning ------------------------------------------------------------


def test_set_message_tokens_changes_the_context(store, user):
    conversation_id = store.create_conversation(user)
    for content in ("a", "b", "c"):
        store.add_message(conversation_id, "user", content, tokens=10)
    assert _contents(store.get_recent_context(conversation_id, max_tokens=30)) == ["a", "b", "c"]

    updated = store.set_message_tokens(conversation_id, 2, 25)
    assert updated["tokens"] == 25 and updated["content"] == "b"
    assert _contents(store.get_recent_context(conversation_id, max_tokens=30)) == ["c"]
    assert _contents(store.get_recent_context(conversation_id, max_tokens=35)) == ["b", "c"]
    estimated = store.set_message_tokens(conversation_id, 2, None)  # estimated again: 3 + 1
    assert (estimated["tokens"], estimated["tokens_estimated"]) == (4, True)
    assert _contents(store.get_recent_context(conversation_id, max_tokens=14)) == ["b", "c"]


def test_delete_message_keeps_totals_and_does_not_reuse_seq(store, user):
    conversation_id = store.create_conversation(user)
    for content in ("a", "b", "c"):
        store.add_message(conversation_id, "user", content, tokens=10)

    assert store.delete_message(conversation_id, 2) is True
    assert store.delete_message(conversation_id, 2) is False
    assert store.get_message(conversation_id, 2) is None
    assert _contents(store.get_recent_context(conversation_id, max_tokens=20)) == ["a", "c"]
    assert store.get_conversation(conversation_id)["message_count"] == 2
    assert store.add_message(conversation_id, "user", "d")["seq"] == 4


def test_editing_missing_messages_raises_not_found(store, user):
    conversation_id = store.create_conversation(user)
    with pytest.raises(NotFound, match="no message 1"):
        store.set_message_tokens(conversation_id, 1, 5)
    with pytest.raises(NotFound, match="does not exist"):
        store.set_message_tokens(str(uuid.uuid4()), 1, 5)
    assert store.delete_message(str(uuid.uuid4()), 1) is False


def test_pinned_messages_are_always_in_the_context(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "system", "rules", tokens=30, pinned=True)
    for content in ("a", "b", "c"):
        store.add_message(conversation_id, "user", content, tokens=10)

    context = store.get_recent_context(conversation_id, max_tokens=50)
    assert _contents(context) == ["rules", "b", "c"]
    assert context[0]["pinned"] is True and context[1]["pinned"] is False
    assert context[0]["suffix_tokens"] == 50
    # Pinned messages stay even when they alone exceed the budget.
    assert _contents(store.get_recent_context(conversation_id, max_tokens=20)) == ["rules"]


def test_context_never_starts_on_an_orphan_tool_result(store, user):
    conversation_id = store.create_conversation(user)
    call = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    store.add_message(conversation_id, "user", "question", tokens=10)
    store.add_message(conversation_id, "assistant", None, tokens=10, tool_calls=call)
    store.add_message(conversation_id, "tool", "result", tokens=10, tool_call_id="c1")
    store.add_message(conversation_id, "assistant", "answer", tokens=10)

    grouped = store.get_recent_context(conversation_id, max_tokens=25)
    assert _contents(grouped) == ["answer"]
    loose = store.get_recent_context(conversation_id, max_tokens=25, keep_tool_groups=False)
    assert _contents(loose) == ["result", "answer"]
    assert _contents(store.get_recent_context(conversation_id, max_tokens=30)) == [
        None,
        "result",
        "answer",
    ]


def test_replace_message_keeps_its_place_and_the_totals_exact(store, user):
    conversation_id = store.create_conversation(user)
    for content in ("a", "b", "c"):
        store.add_message(conversation_id, "user", content, tokens=10)
    original = store.get_message(conversation_id, 2)

    replaced = store.replace_message(
        conversation_id,
        2,
        {"role": "assistant", "content": "B", "tokens": 25, "metadata": {"edited": True}},
    )
    assert (replaced["seq"], replaced["role"], replaced["content"]) == (2, "assistant", "B")
    assert replaced["created_at"] == original["created_at"]
    assert replaced["metadata"] == {"edited": True}
    assert store.get_message(conversation_id, 2) == replaced
    assert _contents(store.get_recent_context(conversation_id, max_tokens=34)) == ["c"]
    assert _contents(store.get_recent_context(conversation_id, max_tokens=35)) == ["B", "c"]
    assert _contents(store.get_recent_context(conversation_id, max_tokens=45)) == ["a", "B", "c"]
    assert store.get_conversation(conversation_id)["message_count"] == 3
    assert store.add_message(conversation_id, "user", "d")["seq"] == 4


def test_replace_message_moves_tokens_in_and_out_of_the_pinned_sum(store, user):
    conversation_id = store.create_conversation(user)
    for content in ("a", "b", "c"):
        store.add_message(conversation_id, "user", content, tokens=10)
    store.replace_message(
        conversation_id, 1, {"role": "system", "content": "rules", "tokens": 5, "pinned": True}
    )
    assert _contents(store.get_recent_context(conversation_id, max_tokens=25)) == [
        "rules",
        "b",
        "c",
    ]
    store.replace_message(conversation_id, 1, {"role": "user", "content": "a", "tokens": 10})
    assert _contents(store.get_recent_context(conversation_id, max_tokens=25)) == ["b", "c"]
    assert _contents(store.get_recent_context(conversation_id, max_tokens=30)) == ["a", "b", "c"]


def test_replace_message_keeps_the_idempotency_key_unless_given_one(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "first", idempotency_key="req-1")
    store.add_message(conversation_id, "user", "second", idempotency_key="req-2")

    store.replace_message(conversation_id, 1, {"role": "user", "content": "edited"})
    retried = store.add_message(conversation_id, "user", "first", idempotency_key="req-1")
    assert (retried["seq"], retried["content"]) == (1, "edited")  # the retry finds it
    with pytest.raises(InvalidInput, match="req-2"):
        store.replace_message(
            conversation_id, 1, {"role": "user", "content": "x", "idempotency_key": "req-2"}
        )
    replaced = store.replace_message(
        conversation_id, 1, {"role": "user", "content": "y", "idempotency_key": "req-3"}
    )
    assert replaced["idempotency_key"] == "req-3"
    assert store.get_conversation(conversation_id)["message_count"] == 2


def test_replace_message_refuses_bad_input_and_missing_messages(store, user):
    conversation_id = _conversation_with(store, user, 2)
    with pytest.raises(InvalidInput, match="role"):
        store.replace_message(conversation_id, 1, {"role": "robot", "content": "x"})
    with pytest.raises(InvalidInput, match="content may be None"):
        store.replace_message(conversation_id, 1, {"role": "user", "content": None})
    with pytest.raises(InvalidInput, match="unknown message fields"):
        store.replace_message(conversation_id, 1, {"role": "user", "content": "x", "sq": 1})
    with pytest.raises(NotFound, match="no message 9"):
        store.replace_message(conversation_id, 9, {"role": "user", "content": "x"})
    with pytest.raises(NotFound, match="does not exist"):
        store.replace_message(str(uuid.uuid4()), 1, {"role": "user", "content": "x"})
    assert _contents(store.get_messages(conversation_id)) == ["m1", "m2"]


def test_delete_messages_clears_or_truncates_and_never_reuses_seq(store, user):
    conversation_id = _conversation_with(store, user, 5, tokens=10)
    assert store.delete_messages(conversation_id, after_seq=3) == 2
    assert store.delete_messages(conversation_id, after_seq=3) == 0
    assert _contents(store.get_recent_context(conversation_id, max_tokens=100)) == [
        "m1",
        "m2",
        "m3",
    ]
    assert store.add_message(conversation_id, "user", "m6", tokens=10)["seq"] == 6
    assert store.delete_messages(conversation_id) == 4
    conversation = store.get_conversation(conversation_id)
    assert (conversation["message_count"], conversation["messages"]) == (0, [])
    assert store.get_recent_context(conversation_id) == []
    assert store.add_message(conversation_id, "user", "again", tokens=10)["seq"] == 7
    assert store.get_recent_context(conversation_id, max_tokens=10)[0]["suffix_tokens"] == 10
    assert store.delete_messages(str(uuid.uuid4())) == 0
    with pytest.raises(InvalidInput, match="after_seq"):
        store.delete_messages(conversation_id, after_seq=-1)


def test_pop_message_removes_and_returns_the_newest(store, user):
    conversation_id = _conversation_with(store, user, 3, tokens=10)
    newest = store.get_message(conversation_id, 3)
    assert store.pop_message(conversation_id) == newest
    assert _contents(store.get_messages(conversation_id)) == ["m1", "m2"]
    assert store.get_recent_context(conversation_id, max_tokens=100)[0]["suffix_tokens"] == 20
    assert store.pop_message(conversation_id)["seq"] == 2
    assert store.pop_message(conversation_id)["seq"] == 1
    assert store.pop_message(conversation_id) is None
    assert store.pop_message(str(uuid.uuid4())) is None
    assert store.get_conversation(conversation_id)["message_count"] == 0


def test_concurrent_pops_and_appends_lose_and_repeat_nothing(store, user):
    conversation_id = _conversation_with(store, user, 40, tokens=3)

    def pop_or_append(worker):
        if worker % 2:
            return [store.pop_message(conversation_id) for _ in range(8)]
        return [
            store.add_message(conversation_id, "user", f"w{worker}-{i}", tokens=3) and None
            for i in range(8)
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        popped = [m for result in pool.map(pop_or_append, range(8)) for m in result if m]
    stored = store.get_messages(conversation_id, limit=None)
    assert len({m["seq"] for m in popped}) == len(popped) == 32
    assert not {m["seq"] for m in popped} & {m["seq"] for m in stored}
    assert len(stored) == 40 + 32 - 32
    assert store.get_conversation(conversation_id)["message_count"] == len(stored)
    context = store.get_recent_context(conversation_id, max_tokens=10**6)
    assert context[0]["suffix_tokens"] == 3 * len(stored)


def test_clearing_while_others_append_keeps_the_counters_exact(store, user):
    conversation_id = store.create_conversation(user)

    def clear_or_append(worker):
        for i in range(10):
            if worker == 0:
                store.delete_messages(conversation_id)
            else:
                store.add_message(conversation_id, "user", f"w{worker}-{i}", tokens=7)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(clear_or_append, range(6)))
    stored = store.get_messages(conversation_id, limit=None)
    assert store.get_conversation(conversation_id)["message_count"] == len(stored)
    context = store.get_recent_context(conversation_id, max_tokens=10**6)
    assert (context[0]["suffix_tokens"] if context else 0) == 7 * len(stored)


# -- items that are not chat messages, fingerprints ---------------------------------------

REASONING = {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "t"}]}


def test_items_of_another_kind_are_stored_exactly(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "What is 6 x 7?", tokens=5)
    item = store.add_message(
        conversation_id, "assistant", None, tokens=12, kind="reasoning", payload=REASONING
    )
    call = store.add_messages(
        conversation_id,
        [
            {
                "role": "tool",
                "content": None,
                "tokens": 0,
                "kind": "function_call_output",
                "payload": {"type": "function_call_output", "call_id": "c1", "output": "42"},
            },
            {"role": "assistant", "content": "42", "tokens": 1},
        ],
    )
    assert (item["kind"], item["payload"], item["content"]) == ("reasoning", REASONING, None)
    assert [m["kind"] for m in store.get_messages(conversation_id)] == [
        "message",
        "reasoning",
        "function_call_output",
        "message",
    ]
    assert store.get_message(conversation_id, 3) == call[0]
    assert call[1]["payload"] is None
    context = store.get_recent_context(conversation_id, max_tokens=13)
    # items count like messages
    assert [m["kind"] for m in context] == ["reasoning", "function_call_output", "message"]


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        pytest.param({"kind": "Reasoning"}, "kind must be", id="upper-case-kind"),
        pytest.param({"kind": ""}, "kind must be", id="empty-kind"),
        pytest.param({"kind": "x" * 65}, "kind must be", id="long-kind"),
        pytest.param({"kind": 3}, "kind must be", id="numeric-kind"),
        pytest.param({"kind": "reasoning", "payload": "text"}, "payload", id="string-payload"),
        pytest.param({"kind": "reasoning", "payload": 5}, "payload", id="number-payload"),
        pytest.param({"kind": "reasoning", "payload": {"k": "\x00"}}, "NUL", id="nul-in-payload"),
        pytest.param({"kind": "message", "content": None}, "content may be None", id="chat-none"),
    ],
)
def test_bad_kinds_and_payloads_are_refused(store, user, fields, complaint):
    conversation_id = _conversation_with(store, user, 1)
    message = {"role": "assistant", "content": "x", **fields}
    with pytest.raises(InvalidInput, match=complaint):
        store.add_message(conversation_id, **message)
    with pytest.raises(InvalidInput, match=complaint):
        store.add_messages(conversation_id, [message])
    assert _contents(store.get_messages(conversation_id)) == ["m1"]


def test_items_are_found_by_their_content_only(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(
        conversation_id,
        "assistant",
        "pondering zebras",
        kind="reasoning",
        payload={"summary": "giraffes"},
    )
    assert [hit["seq"] for hit in store.search_messages(user, "zebras")] == [1]
    assert store.search_messages(user, "giraffes") == []


def test_fingerprints_say_what_each_message_holds(store, user):
    conversation_id = store.create_conversation(user)
    written = [
        {
            "role": "user",
            "content": "hi",
            "metadata": {"a": 1, "b": [1, 2]},
            "idempotency_key": "k1",
        },
        {"role": "assistant", "content": None, "kind": "reasoning", "payload": REASONING},
    ]
    store.add_messages(conversation_id, written)
    held = store.get_message_fingerprints(conversation_id)
    assert [(f["seq"], f["kind"], f["idempotency_key"]) for f in held] == [
        (1, "message", "k1"),
        (2, "reasoning", None),
    ]
    assert [f["fingerprint"] for f in held] == [message_fingerprint(m) for m in written]
    # key order of objects, counts, pins and keys do not change a fingerprint
    same = {"content": "hi", "role": "user", "metadata": {"b": [1, 2], "a": 1}, "tokens": 9}
    assert message_fingerprint(same) == held[0]["fingerprint"]
    assert [(f["tokens"], f["tokens_estimated"], f["pinned"]) for f in held] == [
        (4, True, False),  # estimates: 3 a message, and "hi"
        (3, True, False),
    ]
    store.set_message_tokens(conversation_id, 1, 40)
    after_count = store.get_message_fingerprints(conversation_id)
    assert [f["fingerprint"] for f in after_count] == [f["fingerprint"] for f in held]
    assert after_count[0]["tokens"] == 40
    # a stored message is its own fingerprint's input
    assert message_fingerprint(store.get_message(conversation_id, 2)) == held[1]["fingerprint"]
    store.replace_message(conversation_id, 1, {"role": "user", "content": "hello"})
    assert store.get_message_fingerprints(conversation_id)[0]["fingerprint"] == (
        message_fingerprint({"role": "user", "content": "hello"})
    )
    assert message_fingerprint({"role": "user", "content": "hello"}) != held[0]["fingerprint"]
    assert store.get_message_fingerprints(str(uuid.uuid4())) == []


def test_delete_messages_by_seqs_keeps_the_rest_and_its_totals(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "system", "rules", tokens=3, pinned=True)
    store.add_messages(
        conversation_id,
        [{"role": "user", "content": f"m{n}", "tokens": n} for n in range(2, 9)],
    )
    assert store.delete_messages(conversation_id, seqs=[2, 5, 8, 5, 99]) == 3
    assert _contents(store.get_messages(conversation_id)) == ["rules", "m3", "m4", "m6", "m7"]
    context = store.get_recent_context(conversation_id, max_tokens=3 + 7 + 6 + 4)
    assert _contents(context) == ["rules", "m4", "m6", "m7"]
    assert context[0]["suffix_tokens"] == 20
    assert store.delete_messages(conversation_id, seqs=[1]) == 1  # a pinned one
    assert _contents(store.get_recent_context(conversation_id, max_tokens=20)) == [
        "m3",
        "m4",
        "m6",
        "m7",
    ]
    assert store.get_conversation(conversation_id)["message_count"] == 4
    assert store.delete_messages(conversation_id, seqs=[]) == 0
    with pytest.raises(InvalidInput, match="not both"):
        store.delete_messages(conversation_id, after_seq=2, seqs=[3])
    with pytest.raises(InvalidInput, match=r"seqs\[1\]"):
        store.delete_messages(conversation_id, seqs=[3, 0])
    with pytest.raises(InvalidInput, match="list of seqs"):
        store.delete_messages(conversation_id, seqs=3)
    assert store.get_conversation(conversation_id)["message_count"] == 4
