"""Bad input gets a clear InvalidInput (or is stored faithfully) and leaves the
database as it was, on both databases."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convstore
from convstore import ConfigurationError, ConvstoreError, InvalidInput, Limits

TEN_MB = 10_000_000


def test_ten_megabyte_content_is_refused_by_default_and_stored_when_allowed(database_url, user):
    huge = "é" * (TEN_MB // 2)  # 10 MB of UTF-8
    with convstore.connect(database_url) as store:
        conversation_id = store.create_conversation(user)
        with pytest.raises(InvalidInput, match="max_text_bytes"):
            store.add_message(conversation_id, "user", huge)
        assert store.get_messages(conversation_id) == []
    with convstore.connect(database_url, limits=Limits(max_text_bytes=2 * TEN_MB)) as store:
        stored = store.add_message(conversation_id, "user", huge)
        assert store.get_message(conversation_id, stored["seq"])["content"] == huge


def test_deep_or_huge_metadata_is_refused(store, user):
    deep: dict = {}
    for _ in range(200):
        deep = {"d": deep}
    conversation_id = store.create_conversation(user)
    with pytest.raises(InvalidInput, match="nested"):
        store.add_message(conversation_id, "user", "x", metadata=deep)
    with pytest.raises(InvalidInput, match="max_json_bytes"):
        store.add_message(conversation_id, "user", "x", metadata={"blob": "x" * 2_000_000})
    with pytest.raises(InvalidInput, match="nested"):
        store.create_conversation(user, metadata=deep)
    assert store.get_messages(conversation_id) == []


@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE messages; --",
        '" OR 1=1 --',
        "NEAR(a b) AND c* OR -d ^e",  # FTS5 syntax
        "%_\\",
        "Robert'); DELETE FROM conversations WHERE ('1'='1",
        "\u202e\U0001f600\t\r\n",
    ],
)
def test_sql_and_search_syntax_in_text_fields_is_stored_as_text(store, user, text):
    conversation_id = store.create_conversation(text, title=text, metadata={text: text})
    stored = store.add_message(
        conversation_id, "tool", text, name=text, tool_call_id=text, idempotency_key=text
    )
    assert store.get_message(conversation_id, stored["seq"]) == stored
    assert stored["content"] == stored["name"] == stored["tool_call_id"] == text
    conversation = store.get_conversation(conversation_id)
    assert conversation["title"] == conversation["user_id"] == text
    assert conversation["metadata"] == {text: text}
    assert [m["seq"] for m in store.find_messages(text, text)] == [stored["seq"]]
    found = store.search_conversations(text, text)  # never fails on search syntax
    assert [c["id"] for c in found] in ([], [conversation_id])


def call(call_id, name: str = "f") -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}


@pytest.mark.parametrize(
    ("calls", "problem"),
    [
        ([{"type": "function", "function": {"name": "f", "arguments": "{}"}}], r"\[0\].*id"),
        ([call("c1"), call("")], r"tool_calls\[1\] needs a non-empty string id"),
        ([call(7)], r"\[0\].*id"),
        ([{"id": "c1", "function": {"name": "f", "arguments": "{}"}}], r"\[0\].*type"),
        ([{"id": "c1", "type": "function"}], r"\[0\].*function"),
        ([{"id": "c1", "type": "function", "function": {"arguments": "{}"}}], r"\[0\].*name"),
        (
            [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": {}}}],
            r"\[0\].*arguments",
        ),
        ([], "content may be None only"),
    ],
)
def test_tool_calls_the_api_refuses_are_not_stored(store, user, calls, problem):
    conversation_id = store.create_conversation(user)
    with pytest.raises(InvalidInput, match=problem):
        store.add_message(conversation_id, "assistant", None, tool_calls=calls)
    with pytest.raises(InvalidInput, match=problem):
        store.add_messages(
            conversation_id, [{"role": "assistant", "content": None, "tool_calls": calls}]
        )
    assert store.get_messages(conversation_id) == []


def test_an_empty_tool_calls_list_is_no_tool_calls(store, user):
    conversation_id = store.create_conversation(user)
    stored = store.add_message(conversation_id, "assistant", "Hi.", tool_calls=[])
    assert stored["tool_calls"] is None
    assert store.get_message(conversation_id, stored["seq"])["tool_calls"] is None


# -- arbitrary values at every public method ---------------------------------------------

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.binary(max_size=6),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(
        st.text(max_size=4), st.none() | st.integers() | st.text(max_size=4), max_size=3
    ),
    st.uuids(),
    st.sampled_from(["a\x00b", "\ud800", "'; DROP TABLE messages; --", 'x" OR "1', "100%_\\"]),
)


SOME_CALLS = [call("c1"), call("c2", "g"), call(""), {"id": "c3"}, {**call("c4"), "index": 0}]


def _either(valid):
    return st.one_of(valid, anything)


def _call_strategies(conversation_id: str, user: str):
    conversation = _either(st.just(conversation_id))
    owner = _either(st.just(user))
    role = _either(st.sampled_from(["system", "developer", "user", "assistant", "tool"]))
    text = _either(st.text(max_size=20))
    count = _either(st.integers(0, 50))
    metadata = _either(st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
    message = st.fixed_dictionaries(
        {"role": role, "content": text},
        optional={"tokens": count, "metadata": metadata, "tool_call_id": text, "pinned": anything},
    )
    return {
        "create_conversation": st.fixed_dictionaries(
            {"user_id": owner, "title": text, "metadata": metadata}
        ),
        "add_message": st.fixed_dictionaries(
            {"conversation_id": conversation, "role": role, "content": text},
            optional={
                "tokens": count,
                "latency_ms": count,
                "metadata": metadata,
                "tool_calls": _either(st.lists(st.sampled_from(SOME_CALLS), max_size=2)),
                "tool_call_id": text,
                "name": text,
                "pinned": anything,
                "idempotency_key": text,
            },
        ),
        "add_messages": st.fixed_dictionaries(
            {"conversation_id": conversation, "messages": _either(st.lists(message, max_size=3))}
        ),
        "get_messages": st.fixed_dictionaries(
            {"conversation_id": conversation, "limit": count, "before_seq": count}
        ),
        "get_message": st.fixed_dictionaries({"conversation_id": conversation, "seq": count}),
        "get_conversation": st.fixed_dictionaries({"conversation_id": conversation}),
        "list_conversations": st.fixed_dictionaries({"user_id": owner, "limit": count}),
        "get_recent_context": st.fixed_dictionaries(
            {"conversation_id": conversation, "max_tokens": count, "keep_tool_groups": anything}
        ),
        "search_conversations": st.fixed_dictionaries(
            {"user_id": owner, "query": text, "limit": count}
        ),
        "get_conversation_stats": st.fixed_dictionaries({"conversation_id": conversation}),
        "set_message_tokens": st.fixed_dictionaries(
            {"conversation_id": conversation, "seq": count, "tokens": count}
        ),
        "delete_message": st.fixed_dictionaries({"conversation_id": conversation, "seq": count}),
        "delete_conversation": st.fixed_dictionaries({"conversation_id": conversation}),
    }


def _snapshot(store, users):
    """Everything the users involved own: conversations with their messages."""
    state = {}
    for user in users:
        for conversation in store.list_conversations(user, limit=1000):
            state[conversation["id"]] = store.get_conversation(conversation["id"])
    return state


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_method_succeeds_or_raises_convstore_error_leaving_data_unchanged(store, user, data):
    user = f"{user}-{uuid.uuid4().hex[:8]}"  # a user per example keeps snapshots small
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "seed", tokens=5)
    calls = _call_strategies(conversation_id, user)
    method = data.draw(st.sampled_from(sorted(calls)))
    arguments = data.draw(calls[method])
    users = {user} | {
        value
        for key, value in arguments.items()
        if key == "user_id" and isinstance(value, str) and value
    }
    users = {u for u in users if "\x00" not in u and u.encode("utf-8", "ignore").decode() == u}
    before = _snapshot(store, users)
    try:
        getattr(store, method)(**arguments)
    except ConvstoreError:
        assert _snapshot(store, users) == before
    else:
        if method == "add_message" and str(arguments["conversation_id"]).lower() == conversation_id:
            stored = store.get_messages(conversation_id, limit=1)[0]
            assert stored["content"] == arguments["content"]


def test_ids_that_are_neither_uuids_nor_names_are_invalid_everywhere(store):
    for bad in ("", 42, None, b"x", "a\x00b", "n" * 1025, " thread", "thread\n"):
        with pytest.raises(InvalidInput, match="conversation_id"):
            store.get_conversation(bad)
        with pytest.raises(InvalidInput, match="conversation_id"):
            store.delete_conversation(bad)


def test_a_mistyped_uuid_is_invalid_not_a_name_of_another_conversation(store, user):
    conversation_id = store.create_conversation(user)
    for almost in (
        conversation_id[:-1],
        conversation_id + "0",
        conversation_id.replace("-", "") + "0",
        "{" + conversation_id[1:] + "}",
        "urn:uuid:" + conversation_id[:-2],
        f" {conversation_id}",
    ):
        with pytest.raises(InvalidInput, match="conversation_id"):
            store.get_conversation(almost)
        with pytest.raises(InvalidInput, match="conversation_id"):
            store.ensure_conversation(almost, user)
    # short hex and long hex digests are names: LangGraph's thread "1", a SHA-1
    for name in ("1", "deadbeef", "f" * 40):
        assert store.get_messages(name) == []
        named = store.create_conversation(user, conversation_id=f"{user}-{name}")
        assert named == str(uuid.uuid5(convstore.CONVERSATION_NAMESPACE, f"{user}-{name}"))


@pytest.mark.parametrize("statement_timeout", [0.0004, 3e6])
def test_a_statement_timeout_postgresql_cannot_hold_is_refused(statement_timeout):
    """0.0004 s rounds to 0 ms, which PostgreSQL reads as no limit at all;
    3e6 s is more milliseconds than its setting holds."""
    with pytest.raises(ConfigurationError, match="statement_timeout must be between"):
        convstore.connect(
            "postgresql://nobody@127.0.0.1:1/none", statement_timeout=statement_timeout
        )
