"""The agent never sends a history the API rejects: tool calls whose results
were never stored (an interrupted tool, a process that died, a result the store
refused) and contexts cut inside a tool group. The real openai client talks
HTTP to the fake server, which validates each history as the real API does
(both databases)."""

from __future__ import annotations

import json

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convstore.agent import tool_result_text
from convstore.content.chat_format import UNANSWERED_TOOL_CALL, is_chat_message, valid_history
from convstore.validation import Limits

from .fake_openai import FakeOpenAI, agent_for, history_errors, text_reply, tool_call_reply


def call(call_id: str, name: str = "lookup") -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}


def roles(messages) -> list[str]:
    return [message["role"] for message in messages]


def assert_all_valid(fake: FakeOpenAI) -> None:
    assert fake.refused == []
    for body in fake.requests:
        assert history_errors(body) == []


def test_the_fake_refuses_what_the_api_refuses(fake, client):
    """The fake's checks, through the real client: an unanswered call and a
    tool message without its call are 400s."""
    unanswered = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [call("c1")]},
        {"role": "user", "content": "and?"},
    ]
    orphan = [{"role": "tool", "content": "42", "tool_call_id": "c9"}]
    for messages in (unanswered, orphan):
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="fake-model", messages=messages)
    assert "c1" in fake.refused[0] and "role 'tool'" in fake.refused[1]


def test_keyboard_interrupt_inside_a_tool_is_stored_as_not_completed(store, user, fake, client):
    def lookup() -> str:
        """Looks something up."""
        raise KeyboardInterrupt

    def other() -> str:
        """Never reached."""
        return "unreached"

    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    fake.script.append(tool_call_reply(("c1", "lookup", {}), ("c2", "other", {})))
    with pytest.raises(KeyboardInterrupt):
        agent.chat(conversation_id, "look it up", tools=[lookup, other])

    history = agent.get_history(conversation_id)
    assert roles(history) == ["user", "assistant", "tool", "tool"]
    assert [m["tool_call_id"] for m in history[2:]] == ["c1", "c2"]
    assert [m["name"] for m in history[2:]] == ["lookup", "other"]
    for answer in history[2:]:
        assert json.loads(answer["content"]) == {
            "error": "the tool call did not complete: KeyboardInterrupt"
        }

    fake.script.append(text_reply("Sorry, that was interrupted."))
    assert agent.chat(conversation_id, "and now?") == "Sorry, that was interrupted."
    sent = fake.requests[-1]["messages"]
    assert roles(sent) == ["system", "user", "assistant", "tool", "tool", "user"]
    assert_all_valid(fake)


def test_a_process_dying_between_a_call_and_its_results(store, user, fake, client):
    """The assistant's call and one of two results are stored, then nothing:
    the next chat stores the missing answer before the new question."""
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    store.add_message(conversation_id, "user", "two lookups", tokens=3)
    store.add_message(
        conversation_id, "assistant", None, tokens=20, tool_calls=[call("c1"), call("c2")]
    )
    store.add_message(conversation_id, "tool", "first", tokens=1, tool_call_id="c1", name="lookup")

    fake.script.append(text_reply("The second lookup failed."))
    assert agent.chat(conversation_id, "well?") == "The second lookup failed."

    history = agent.get_history(conversation_id)
    assert roles(history) == ["user", "assistant", "tool", "tool", "user", "assistant"]
    answer = history[3]
    assert (answer["tool_call_id"], answer["name"]) == ("c2", "lookup")
    assert json.loads(answer["content"]) == {"error": UNANSWERED_TOOL_CALL}
    sent = fake.requests[0]["messages"]
    assert [m.get("tool_call_id") for m in sent[3:5]] == ["c1", "c2"]
    assert_all_valid(fake)


def test_streaming_after_a_dead_process_answers_the_call_too(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    store.add_message(conversation_id, "user", "look", tokens=1)
    store.add_message(conversation_id, "assistant", None, tokens=20, tool_calls=[call("c1")])

    fake.script.append(text_reply("It failed."))
    assert "".join(agent.chat_stream(conversation_id, "well?")) == "It failed."
    stored = roles(agent.get_history(conversation_id))
    assert stored == ["user", "assistant", "tool", "user", "assistant"]
    assert_all_valid(fake)


def test_a_history_broken_in_the_middle_is_sent_valid(store, user, fake, client):
    """Stored before this fix (a user message after an unanswered call, a
    result stored after another message): the stored rows cannot be moved, so
    the request answers the call and leaves the stray result out."""
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    store.add_messages(
        conversation_id,
        [
            {"role": "user", "content": "look", "tokens": 1},
            {"role": "assistant", "content": None, "tokens": 20, "tool_calls": [call("c1")]},
            {"role": "user", "content": "hello?", "tokens": 2},
            {"role": "tool", "content": "late", "tokens": 1, "tool_call_id": "c1"},
            {"role": "assistant", "content": "Hi.", "tokens": 2},
        ],
    )
    fake.script.append(text_reply("ok"))
    agent.chat(conversation_id, "again")

    sent = fake.requests[0]["messages"]
    assert roles(sent) == ["system", "user", "assistant", "tool", "user", "assistant", "user"]
    assert sent[3] == {
        "role": "tool",
        "content": json.dumps({"error": UNANSWERED_TOOL_CALL}),
        "tool_call_id": "c1",
    }
    assert_all_valid(fake)


def test_a_history_in_the_openai_format_in_full_is_sent_as_the_api_takes_it(
    store, user, fake, client
):
    """Parts (each role only those its API schema takes), a legacy function
    call and its result, a refusal: the request is valid, and keeps what the
    API takes as it was stored."""
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    image = {"type": "image_url", "image_url": {"url": "https://example.com/tram.jpg"}}
    store.add_messages(
        conversation_id,
        [
            {"role": "user", "content": [{"type": "text", "text": "Where?"}, image]},
            {"role": "assistant", "content": [{"type": "text", "text": "Alfama."}, image]},
            {"role": "assistant", "function_call": {"name": "book", "arguments": "{}"}},
            {"role": "function", "name": "book", "content": [{"type": "text", "text": "booked"}]},
            {"role": "assistant", "content": None, "refusal": "I cannot pay for you."},
            {"role": "user", "content": [{"type": "thinking", "thinking": "not for the API"}]},
        ],
    )
    fake.script.append(text_reply("ok"))
    agent.chat(conversation_id, "thanks")

    sent = fake.requests[0]["messages"]
    assert sent[1:7] == [
        {"role": "user", "content": [{"type": "text", "text": "Where?"}, image]},
        {"role": "assistant", "content": [{"type": "text", "text": "Alfama."}]},
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "book", "arguments": "{}"},
        },
        {"role": "function", "content": "booked", "name": "book"},
        {"role": "assistant", "content": "", "refusal": "I cannot pay for you."},
        {"role": "user", "content": ""},
    ]
    assert_all_valid(fake)


@pytest.mark.parametrize("pinned_call", [False, True])
def test_a_budget_cut_inside_a_tool_group_is_sent_valid(store, user, fake, client, pinned_call):
    """The budget reaches into a tool group (the run may not start on a tool
    message, and a pinned call is sent without the results after it)."""
    agent = agent_for(store, client, max_context_tokens=400, reserve_tokens=100)
    conversation_id = agent.start_conversation(user)
    store.add_message(conversation_id, "user", "old question", tokens=100)
    calls = [call("c1"), call("c2")]
    store.add_message(
        conversation_id, "assistant", None, tokens=150, tool_calls=calls, pinned=pinned_call
    )
    store.add_message(conversation_id, "tool", "one", tokens=100, tool_call_id="c1")
    store.add_message(conversation_id, "tool", "two", tokens=100, tool_call_id="c2")
    fake.script.append(text_reply("ok"))
    agent.chat(conversation_id, "short")

    sent = fake.requests[0]["messages"]
    assert sent[-1] == {"role": "user", "content": "short"}
    assert_all_valid(fake)


def test_a_tool_result_over_the_budget_is_sent_with_its_call(store, user, fake, client):
    """In the tool loop the newest message is a tool result too big for the
    budget: the request carries its assistant call with it, not the result
    alone (or nothing)."""

    def dump() -> str:
        """A lot of text."""
        return "x" * 8000

    agent = agent_for(store, client, max_context_tokens=1000, reserve_tokens=100)
    conversation_id = agent.start_conversation(user)
    fake.script.extend([tool_call_reply(("c1", "dump", {})), text_reply("Long.")])
    assert agent.chat(conversation_id, "dump it", tools=[dump]) == "Long."

    sent = fake.requests[1]["messages"]
    assert roles(sent) == ["system", "assistant", "tool"]
    assert_all_valid(fake)


def test_tool_call_ids_repeated_across_turns_are_each_answered(store, user, fake, client):
    """Some compatible servers number calls per reply (call_0 every time)."""

    def lookup() -> str:
        """Looks something up."""
        return "found"

    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    for turn in range(2):
        fake.script.extend([tool_call_reply(("call_0", "lookup", {})), text_reply("done")])
        agent.chat(conversation_id, f"turn {turn}", tools=[lookup])
    history = agent.get_history(conversation_id)
    assert roles(history) == ["user", "assistant", "tool", "assistant"] * 2
    assert [m["content"] for m in history if m["role"] == "tool"] == ["found", "found"]
    assert_all_valid(fake)


REASONING = {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "t"}]}
"""A reasoning item of the Responses API, as another writer (an adapter) stores it."""


def test_a_reasoning_item_between_two_turns_is_not_sent(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    fake.script.append(text_reply("Start in Alfama."))
    agent.chat(conversation_id, "Two days in Lisbon?")
    store.add_message(
        conversation_id, "assistant", "Trams first.", tokens=3, kind="reasoning", payload=REASONING
    )
    fake.script.append(text_reply("Then tram 28."))
    assert agent.chat(conversation_id, "And then?") == "Then tram 28."

    assert fake.requests[1]["messages"][1:] == [
        {"role": "user", "content": "Two days in Lisbon?"},
        {"role": "assistant", "content": "Start in Alfama."},
        {"role": "user", "content": "And then?"},
    ]
    kinds = [m["kind"] for m in agent.get_history(conversation_id)]
    assert kinds == ["message", "message", "reasoning", "message", "message"]
    assert_all_valid(fake)


def test_items_inside_a_tool_group_neither_separate_nor_answer_it(store, user, fake, client):
    """An item between a call and its result does not separate them; an item
    after an unanswered call (even a function call output of the Responses
    API with its id) is no answer: the call is answered as not completed."""
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    store.add_message(conversation_id, "user", "look twice", tokens=2)
    store.add_message(
        conversation_id, "assistant", None, tokens=20, tool_calls=[call("c1"), call("c2")]
    )
    store.add_message(conversation_id, "assistant", None, kind="reasoning", payload=REASONING)
    store.add_message(conversation_id, "tool", "found", tokens=1, tool_call_id="c1")
    output = {"type": "function_call_output", "call_id": "c2", "output": "late"}
    store.add_message(
        conversation_id,
        "tool",
        None,
        tool_call_id="c2",
        kind="function_call_output",
        payload=output,
    )
    fake.script.append(text_reply("The second one failed."))
    agent.chat(conversation_id, "well?")

    chat = [m for m in agent.get_history(conversation_id) if is_chat_message(m)]
    assert roles(chat) == ["user", "assistant", "tool", "tool", "user", "assistant"]
    assert json.loads(chat[3]["content"]) == {"error": UNANSWERED_TOOL_CALL}
    sent = fake.requests[0]["messages"]
    assert roles(sent) == ["system", "user", "assistant", "tool", "tool", "user"]
    assert [m["tool_call_id"] for m in sent[3:5]] == ["c1", "c2"]
    assert_all_valid(fake)


def test_a_message_over_the_budget_is_sent_though_an_item_after_it_fits(store, user, fake, client):
    """A retried chat (the same request id) finds its user message, over the
    budget alone, and a small item stored after it: the message is sent, the
    item is not."""
    agent = agent_for(store, client, max_context_tokens=400, reserve_tokens=100)
    conversation_id = agent.start_conversation(user)
    question = "Plan the week. " * 100
    store.add_message(conversation_id, "user", question, tokens=375, idempotency_key="user:r1")
    store.add_message(conversation_id, "assistant", None, tokens=5, kind="reasoning")
    fake.script.append(text_reply("Monday: Alfama."))
    assert agent.chat(conversation_id, question, request_id="r1") == "Monday: Alfama."
    assert fake.requests[0]["messages"][1:] == [{"role": "user", "content": question}]
    assert_all_valid(fake)


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def circular() -> list:
    loop: list = [1]
    loop.append(loop)
    return loop


@pytest.mark.parametrize(
    ("returned", "stored"),
    [
        pytest.param("a\x00b", "a\\u0000b", id="text with NUL"),
        pytest.param("lone \ud800 surrogate", "lone \ufffd surrogate", id="lone surrogate"),
        pytest.param({"celsius": 21, "city": "Lisboa\x00"}, None, id="dict with NUL"),
        pytest.param(None, "null", id="None"),
        pytest.param(b"caf\xc3\xa9\x00\xff", "caf\u00e9\\u0000\ufffd", id="bytes"),
        pytest.param({(1, 2): "tuple key"}, "{(1, 2): 'tuple key'}", id="tuple key"),
        pytest.param(circular(), "[1, [...]]", id="cycle"),
        pytest.param(Unprintable(), "<unprintable Unprintable>", id="unprintable"),
        pytest.param(float("nan"), "NaN", id="nan"),
    ],
)
def test_a_tool_result_is_always_stored(store, user, fake, client, returned, stored):
    def lookup() -> object:
        """Looks something up."""
        return returned

    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    fake.script.extend([tool_call_reply(("c1", "lookup", {})), text_reply("Found it.")])
    assert agent.chat(conversation_id, "look", tools=[lookup]) == "Found it."

    answer = agent.get_history(conversation_id)[2]
    assert answer["role"] == "tool" and answer["tool_call_id"] == "c1"
    if stored is not None:
        assert answer["content"] == stored
    else:
        assert json.loads(answer["content"]) == {"celsius": 21, "city": "Lisboa\x00"}
    assert fake.requests[1]["messages"][-1]["content"] == answer["content"]
    fake.script.append(text_reply("Still here."))
    assert agent.chat(conversation_id, "and?") == "Still here."
    assert_all_valid(fake)


@pytest.mark.parametrize("returned", ["é" * 3000, list(range(2000))], ids=["text", "list"])
def test_a_tool_result_over_the_store_limit_is_cut(open_store, user, fake, client, returned):
    store = open_store(limits=Limits(max_text_bytes=4000))

    def lookup() -> object:
        """Returns too much."""
        return returned

    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    fake.script.extend([tool_call_reply(("c1", "lookup", {})), text_reply("Big.")])
    assert agent.chat(conversation_id, "look", tools=[lookup]) == "Big."

    content = agent.get_history(conversation_id)[2]["content"]
    assert len(content.encode("utf-8")) <= 4000
    assert content.endswith("bytes; the first ones are kept]")
    assert_all_valid(fake)


def test_tool_result_text_fits_any_limit():
    for limit in (1, 5, 80, 81, 200):
        for value in ("é" * 500, "a\x00" * 100, list(range(100))):
            text = tool_result_text(value, limit)
            assert len(text.encode("utf-8")) <= limit and "\x00" not in text


STORED_CALLS = st.lists(
    st.one_of(
        st.sampled_from(["c1", "c2", "c3"]).map(call),
        st.sampled_from(["c1", "c2"]).map(lambda i: {**call(i), "index": 0}),
        st.sampled_from(
            [
                {"type": "function", "function": {"name": "f", "arguments": "{}"}},
                {"id": "", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                {"id": "c1", "function": {"name": "f", "arguments": "{}"}},
                {"id": "c2", "type": "function", "function": {"name": "f", "arguments": {}}},
                {"id": "c3", "type": "function", "function": {"name": "f"}},
            ]
        ),
    ),
    max_size=3,
)
"""Calls as any version or tool may have stored them: well formed, with a
server's extra keys, malformed, repeated, or none (``[]``)."""

STORED_ITEMS = st.builds(
    lambda role, content, calls, call_id: {
        "role": role,
        "content": content,
        "tool_calls": calls or None,
        "tool_call_id": call_id,
        "kind": "reasoning",
    },
    st.sampled_from(["assistant", "tool", "user"]),
    st.sampled_from([None, "r"]),
    STORED_CALLS,
    st.sampled_from([None, "c1", "c2"]),
)
"""Items of another kind, with anything a chat message could carry."""

PARTS = st.lists(
    st.sampled_from(
        [
            {"type": "text", "text": "t"},
            {"type": "refusal", "refusal": "no"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            {"type": "file", "file": {"file_id": "file-1"}},
            {"type": "thinking", "thinking": "a type the API does not take"},
        ]
    ),
    max_size=3,
)
"""Content given as parts, any role's, an empty list included."""

STORED_OPENAI_FORMAT = st.one_of(
    st.builds(
        lambda role, parts: {"role": role, "content": parts},
        st.sampled_from(["system", "developer", "user", "assistant", "tool"]),
        PARTS,
    ).map(lambda m: {**m, "tool_call_id": "c1"} if m["role"] == "tool" else m),
    st.builds(
        lambda content, refusal: {"role": "assistant", "content": content, "refusal": refusal},
        st.sampled_from([None, "", "a"]) | PARTS,
        st.sampled_from([None, "no"]),
    ),
    st.builds(
        lambda content: {
            "role": "assistant",
            "content": content,
            "function_call": {"name": "f", "arguments": "{}"},
        },
        st.sampled_from([None, "a"]) | PARTS,
    ),
    st.builds(
        lambda content: {"role": "function", "name": "f", "content": content},
        st.sampled_from([None, "r"]) | PARTS,
    ),
)
"""Messages of the OpenAI format in full: parts, refusals, legacy function calls."""

STORED_MESSAGES = st.lists(
    st.one_of(
        STORED_ITEMS,
        STORED_OPENAI_FORMAT,
        st.builds(
            lambda name: {"role": "user", "content": "q", "name": name},
            st.sampled_from([None, "ana", "Ana María", "", "a.b"]),
        ),
        st.builds(lambda: {"role": "assistant", "content": "a"}),
        STORED_CALLS.map(lambda calls: {"role": "assistant", "content": None, "tool_calls": calls}),
        st.sampled_from(["c1", "c2", "c3", "c4", ""]).map(
            lambda i: {"role": "tool", "content": "r", "tool_call_id": i}
        ),
    ),
    max_size=12,
)


@settings(max_examples=500, deadline=None)
@given(STORED_MESSAGES)
def test_any_stored_sequence_is_sent_as_a_valid_history(messages):
    stored = [
        {"tool_calls": None, "tool_call_id": None, "name": None, "kind": "message", **message}
        for message in messages
    ]
    history = valid_history(stored)
    assert history_errors({"messages": history.messages}) == []
    # Nothing valid is left out: non-tool chat messages are all sent, in order.
    chat = [m for m in stored if is_chat_message(m)]
    assert [m for m in history.sent if m["role"] != "tool"] == [
        m for m in chat if m["role"] != "tool"
    ]
    # Items are left out as if they were not stored.
    assert valid_history(chat) == history
