"""What the agent stores from a reply and sends back always has the shapes the
Chat Completions API accepts: refusals (content null), tool calls without an
id, with an empty or a repeated one or with keys a server added, and names the
API refuses. The real openai client talks HTTP to the fake server, which
checks each request as the real API does (both databases)."""

from __future__ import annotations

import json

import openai
import pytest

from convstore import validation
from convstore.content.chat_format import UNANSWERED_TOOL_CALL

from .fake_openai import (
    FakeOpenAI,
    agent_for,
    history_errors,
    raw_reply,
    refusal_reply,
    text_reply,
    tool_call_reply,
)

REFUSAL = "I'm sorry, I can't help with that."


def call(call_id, name: str = "lookup", **extra) -> dict:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": "{}"},
        **extra,
    }


def lookup() -> str:
    """Looks something up."""
    return "found"


def assert_all_valid(fake: FakeOpenAI) -> None:
    assert fake.refused == []
    for body in fake.requests:
        assert history_errors(body) == []


def store_unchecked(store, conversation_id, role, content, *, tool_calls=None, name=None):
    """A message as an older convstore (or another tool) could have stored it:
    through the store's own append query, without today's checks on tool
    calls and names."""
    checked = validation.message(role=role, content=content or "", name=name, tokens=5)
    checked["content"] = content
    checked["tool_calls"] = None if tool_calls is None else json.dumps(tool_calls)
    store.run("append_message", conversation_id=conversation_id, **checked)


def test_the_fake_refuses_the_shapes_the_api_refuses(fake, client):
    bad = [
        [{"role": "user", "content": "hi", "name": "Ana María"}],
        [{"role": "assistant", "content": None, "tool_calls": []}],
        [
            {"role": "assistant", "content": None, "tool_calls": [call("c1", index=0)]},
            {"role": "tool", "content": "r", "tool_call_id": "c1"},
        ],
        [
            {"role": "assistant", "content": None, "tool_calls": [call("")]},
            {"role": "tool", "content": "r", "tool_call_id": ""},
        ],
        [{"role": "user", "content": "hi", "tool_calls": [call("c1")]}],
    ]
    for messages in bad:
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="fake-model", messages=messages)
    assert len(fake.refused) == len(bad)


# -- B1: a refusal is a reply ----------------------------------------------------------------


def test_a_refusal_is_returned_and_stored_as_the_reply(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    fake.script.extend([refusal_reply(REFUSAL), text_reply("Something else, then.")])

    assert agent.chat(conversation_id, "something forbidden") == REFUSAL
    reply = agent.get_history(conversation_id)[1]
    assert (reply["role"], reply["content"], reply["tool_calls"]) == ("assistant", REFUSAL, None)
    assert reply["metadata"]["refusal"] == REFUSAL
    assert reply["tokens"] == 9

    assert agent.chat(conversation_id, "and now?") == "Something else, then."
    assert fake.requests[1]["messages"][2] == {"role": "assistant", "content": REFUSAL}
    assert_all_valid(fake)


def test_a_streamed_refusal_is_yielded_and_stored(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    fake.script.append(refusal_reply(REFUSAL))

    assert "".join(agent.chat_stream(conversation_id, "something forbidden")) == REFUSAL
    reply = agent.get_history(conversation_id)[1]
    assert reply["content"] == REFUSAL and reply["metadata"]["refusal"] == REFUSAL


def test_a_reply_with_null_content_and_nothing_else_is_an_empty_reply(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    fake.script.append(raw_reply({"role": "assistant", "content": None, "tool_calls": []}))

    assert agent.chat(conversation_id, "say nothing") == ""
    reply = agent.get_history(conversation_id)[1]
    assert (reply["content"], reply["tool_calls"]) == ("", None)
    assert "refusal" not in reply["metadata"]
    fake.script.append(text_reply("ok"))
    agent.chat(conversation_id, "and?")
    assert_all_valid(fake)


# -- B2: tool calls the API would not take back ---------------------------------------------


@pytest.mark.parametrize("bad_id", [None, ""], ids=["no id", "empty id"])
def test_a_model_call_without_an_id_gets_one_and_the_conversation_goes_on(
    store, user, fake, client, bad_id
):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    sent_call = {"type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    if bad_id is not None:
        sent_call["id"] = bad_id
    message = {"role": "assistant", "content": None, "tool_calls": [sent_call]}
    fake.script.extend([raw_reply(message), text_reply("Found it.")])

    assert agent.chat(conversation_id, "look", tools=[lookup]) == "Found it."
    _, caller, answer, _ = agent.get_history(conversation_id)
    (stored_call,) = caller["tool_calls"]
    assert stored_call["id"].startswith("call_") and len(stored_call["id"]) == 37
    assert (answer["tool_call_id"], answer["content"]) == (stored_call["id"], "found")

    fake.script.append(text_reply("Still here."))
    assert agent.chat(conversation_id, "and?") == "Still here."
    assert_all_valid(fake)


def test_model_call_arguments_that_are_not_text_are_stored_as_json(store, user, fake, client):
    """Some servers send the arguments as an object."""
    seen = []

    def weather(city: str) -> str:
        """The weather."""
        seen.append(city)
        return "sunny"

    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    sent_call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "weather", "arguments": {"city": "Porto"}},
    }
    message = {"role": "assistant", "content": None, "tool_calls": [sent_call]}
    fake.script.extend([raw_reply(message), text_reply("Sunny.")])

    assert agent.chat(conversation_id, "weather?", tools=[weather]) == "Sunny."
    stored_call = agent.get_history(conversation_id)[1]["tool_calls"][0]
    assert stored_call["function"]["arguments"] == '{"city": "Porto"}'
    assert seen == ["Porto"]
    assert_all_valid(fake)


def test_malformed_calls_stored_earlier_are_left_out_of_what_is_sent(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    no_id = {"type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    store_unchecked(store, conversation_id, "user", "look")
    store_unchecked(store, conversation_id, "assistant", None, tool_calls=[no_id])
    store_unchecked(store, conversation_id, "assistant", None, tool_calls=[])
    store_unchecked(store, conversation_id, "assistant", None, tool_calls=[no_id, call("c2")])
    store.add_message(conversation_id, "tool", "two", tool_call_id="c2", tokens=1)

    fake.script.append(text_reply("ok"))
    assert agent.chat(conversation_id, "well?") == "ok"
    sent = fake.requests[0]["messages"]
    assert sent[1:6] == [
        {"role": "user", "content": "look"},
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": None, "tool_calls": [call("c2")]},
        {"role": "tool", "content": "two", "tool_call_id": "c2"},
    ]
    assert [m["role"] for m in agent.get_history(conversation_id)][-2:] == ["user", "assistant"]
    assert_all_valid(fake)


# -- B3: names the API refuses ---------------------------------------------------------------


def test_a_name_the_api_refuses_is_stored_but_not_sent(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    store.add_message(conversation_id, "user", "hello", name="Ana María", tokens=2)
    store.add_message(conversation_id, "user", "hi", name="bob_2-x", tokens=1)
    store.add_message(conversation_id, "assistant", "Hello both.", name="guide bot", tokens=3)

    fake.script.append(text_reply("ok"))
    agent.chat(conversation_id, "and?")
    sent = fake.requests[0]["messages"]
    assert sent[1:4] == [
        {"role": "user", "content": "hello"},
        {"role": "user", "content": "hi", "name": "bob_2-x"},
        {"role": "assistant", "content": "Hello both."},
    ]
    assert [m["name"] for m in agent.get_history(conversation_id)[:3]] == [
        "Ana María",
        "bob_2-x",
        "guide bot",
    ]
    assert_all_valid(fake)


# -- B4: keys a server added to its tool calls ------------------------------------------------


def test_keys_a_server_adds_to_tool_calls_are_stored_but_not_sent_back(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    sent_call = {
        "index": 0,
        "id": "c1",
        "type": "function",
        "function": {"name": "lookup", "arguments": "{}", "strict": False},
    }
    message = {"role": "assistant", "content": None, "tool_calls": [sent_call]}
    fake.script.extend([raw_reply(message), text_reply("Found it.")])

    assert agent.chat(conversation_id, "look", tools=[lookup]) == "Found it."
    assert agent.get_history(conversation_id)[1]["tool_calls"] == [sent_call]
    assert fake.requests[1]["messages"][2]["tool_calls"] == [call("c1")]
    assert_all_valid(fake)


# -- B5: one id, two calls -------------------------------------------------------------------


def test_a_reply_repeating_a_call_id_has_each_call_run_and_answered(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    fake.script.extend(
        [tool_call_reply(("c1", "lookup", {}), ("c1", "lookup", {})), text_reply("Both.")]
    )

    assert agent.chat(conversation_id, "look twice", tools=[lookup]) == "Both."
    _, caller, *answers, _ = agent.get_history(conversation_id)
    ids = [stored_call["id"] for stored_call in caller["tool_calls"]]
    assert ids[0] == "c1" and ids[1].startswith("call_")
    assert [answer["tool_call_id"] for answer in answers] == ids
    assert [m.get("tool_call_id") for m in fake.requests[1]["messages"][3:]] == ids
    assert_all_valid(fake)


def test_a_repeated_call_id_stored_earlier_is_sent_once_with_one_answer(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    store_unchecked(store, conversation_id, "user", "look")
    store_unchecked(
        store, conversation_id, "assistant", None, tool_calls=[call("c1"), call("c1", "other")]
    )
    store.add_message(conversation_id, "tool", "one", tool_call_id="c1", tokens=1)

    fake.script.append(text_reply("ok"))
    agent.chat(conversation_id, "well?")
    sent = fake.requests[0]["messages"]
    assert sent[2:4] == [
        {"role": "assistant", "content": None, "tool_calls": [call("c1")]},
        {"role": "tool", "content": "one", "tool_call_id": "c1"},
    ]
    assert sent[4] == {"role": "user", "content": "well?"}
    assert_all_valid(fake)


def test_a_repeated_call_id_left_unanswered_is_answered_once(store, user, fake, client):
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    store_unchecked(store, conversation_id, "user", "look")
    store_unchecked(store, conversation_id, "assistant", None, tool_calls=[call("c1"), call("c1")])

    fake.script.append(text_reply("ok"))
    agent.chat(conversation_id, "well?")
    answers = [m for m in agent.get_history(conversation_id) if m["role"] == "tool"]
    assert [(m["tool_call_id"], json.loads(m["content"])) for m in answers] == [
        ("c1", {"error": UNANSWERED_TOOL_CALL})
    ]
    assert_all_valid(fake)
