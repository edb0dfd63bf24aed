"""The persistent agent, with the real openai client talking HTTP to a fake
OpenAI-compatible server on 127.0.0.1 (both databases)."""

from __future__ import annotations

import openai
import pytest

from convstore.agent import ModelError, Tool, estimate_tokens
from convstore.token_estimate import text_tokens

from .fake_openai import (
    SYSTEM,
    agent_for,
    error_reply,
    silence,
    text_reply,
    tool_call_reply,
)


def test_chat_stores_the_turn_with_usage_and_latency(store, user, fake, client):
    fake.script.append(text_reply("Hello there.", prompt_tokens=30, completion_tokens=3))
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user, title="greeting")

    assert agent.chat(conversation_id, "Hi!") == "Hello there."
    user_message, reply = agent.get_history(conversation_id)
    assert (user_message["role"], user_message["content"]) == ("user", "Hi!")
    assert reply["content"] == "Hello there." and reply["tokens"] == 3
    assert reply["metadata"]["model"] == "fake-model"
    assert reply["metadata"]["usage"] == {
        "prompt_tokens": 30,
        "completion_tokens": 3,
        "total_tokens": 33,
    }
    assert reply["latency_ms"] >= 0
    # The user message's estimate is replaced by what the API counted.
    assert user_message["tokens"] == 30 - estimate_tokens(SYSTEM)
    assert fake.requests[0]["messages"] == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Hi!"},
    ]


def test_request_is_the_system_prompt_plus_exactly_the_budgeted_suffix(store, user, fake, client):
    agent = agent_for(store, client, max_context_tokens=500, reserve_tokens=100)
    conversation_id = agent.start_conversation(user)
    store.add_messages(
        conversation_id,
        [
            {"role": ("user", "assistant")[i % 2], "content": f"m{i}", "tokens": 40}
            for i in range(30)
        ],
    )
    fake.script.append(text_reply("ok", prompt_tokens=10))
    agent.chat(conversation_id, "newest question")

    sent = fake.requests[0]["messages"]
    budget = 500 - 100 - estimate_tokens(SYSTEM)
    newest = estimate_tokens("newest question")
    fitting = (budget - newest) // 40
    assert sent[0] == {"role": "system", "content": SYSTEM}
    assert [m["content"] for m in sent[1:]] == [f"m{i}" for i in range(30 - fitting, 30)] + [
        "newest question"
    ]


def test_long_conversations_stay_within_the_context_window(store, user, fake, client):
    agent = agent_for(store, client, max_context_tokens=1000, reserve_tokens=200)
    conversation_id = agent.start_conversation(user)
    for turn in range(40):
        fake.script.append(text_reply("x " * 60, prompt_tokens=10, completion_tokens=60))
        agent.chat(conversation_id, "tell me more " * 10, request_id=f"turn-{turn}")
    for request in fake.requests:
        history = request["messages"][1:]
        assert sum(text_tokens(m["content"]) for m in history) <= 1000 - 200
    assert len(agent.get_history(conversation_id)) == 80
    assert len(fake.requests[-1]["messages"]) < 40


def test_trimming_never_sends_a_tool_result_without_its_call(store, user, fake, client):
    agent = agent_for(store, client, max_context_tokens=400, reserve_tokens=100)
    conversation_id = agent.start_conversation(user)
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    store.add_message(conversation_id, "user", "old question", tokens=100)
    store.add_message(conversation_id, "assistant", None, tokens=150, tool_calls=[call])
    store.add_message(conversation_id, "tool", "result", tokens=100, tool_call_id="c1")
    fake.script.append(text_reply("ok"))
    agent.chat(conversation_id, "short")  # the budget reaches the tool result, not its call

    history = fake.requests[0]["messages"][1:]
    assert history[0]["role"] != "tool"
    called = {c["id"] for m in history for c in m.get("tool_calls", [])}
    assert all(m["tool_call_id"] in called for m in history if m["role"] == "tool")


def test_tool_loop_stores_the_whole_exchange_in_order(store, user, fake, client):
    calls = []

    def weather(city: str) -> dict:
        """Current weather in a city."""
        calls.append(city)
        return {"city": city, "celsius": 21}

    tool = Tool(
        weather,
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    )
    fake.script.extend(
        [
            tool_call_reply(("call_1", "weather", {"city": "Lisbon"}), ("call_2", "nope", {})),
            text_reply("It is 21C in Lisbon."),
        ]
    )
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)

    assert agent.chat(conversation_id, "Weather?", tools=[tool]) == "It is 21C in Lisbon."
    history = agent.get_history(conversation_id)
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "tool", "assistant"]
    assert history[1]["content"] is None and len(history[1]["tool_calls"]) == 2
    assert history[2]["tool_call_id"] == "call_1" and '"celsius": 21' in history[2]["content"]
    assert "no tool named 'nope'" in history[3]["content"]
    assert calls == ["Lisbon"]
    assert fake.requests[0]["tools"][0]["function"]["name"] == "weather"
    second = fake.requests[1]["messages"]
    assert [m["role"] for m in second[-3:]] == ["assistant", "tool", "tool"]
    assert second[-2]["tool_call_id"] == "call_1"


def test_streaming_stores_what_chat_would(store, user, fake, client):
    agent = agent_for(store, client)
    streamed_id = agent.start_conversation(user)
    plain_id = agent.start_conversation(user)
    fake.script.extend([text_reply("one two three", 20, 3), text_reply("one two three", 20, 3)])

    pieces = list(agent.chat_stream(streamed_id, "count"))
    assert "".join(pieces) == "one two three" and len(pieces) == 3
    agent.chat(plain_id, "count")
    assert fake.requests[0]["stream_options"] == {"include_usage": True}

    streamed, plain = agent.get_history(streamed_id), agent.get_history(plain_id)
    for left, right in zip(streamed, plain, strict=True):
        assert (left["role"], left["content"], left["tokens"]) == (
            right["role"],
            right["content"],
            right["tokens"],
        )
    assert streamed[1]["metadata"]["usage"]["completion_tokens"] == 3


@pytest.mark.parametrize("failure", [error_reply(500), error_reply(429), silence(2)])
def test_failed_call_keeps_the_user_message_and_retries_cleanly(store, user, fake, failure):
    client = openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0, timeout=0.5)
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    fake.script.append(failure)

    with pytest.raises(ModelError) as raised:
        agent.chat(conversation_id, "Are you there?", request_id="r1")
    assert raised.value.retryable
    assert isinstance(raised.value.__cause__, openai.OpenAIError)
    assert [m["role"] for m in agent.get_history(conversation_id)] == ["user"]

    fake.script.append(text_reply("Yes."))
    assert agent.chat(conversation_id, "Are you there?", request_id="r1") == "Yes."
    assert [m["role"] for m in agent.get_history(conversation_id)] == ["user", "assistant"]


def test_convstore_chat_drives_a_session(database_url, fake, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    fake.script.extend([text_reply("Lisbon is lovely in May.", 25, 6), text_reply("Porto too.")])
    session = "Where should I go?\n/history\n/stats\nAnd then?\n/new\n/list\n/quit\n"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "convstore"),
            "--url",
            database_url,
            "chat",
            "--user",
            "cli-tester",
            "--model",
            "fake-model",
        ],
        input=session,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={**os.environ, "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "test"},
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "assistant> Lisbon is lovely in May." in out
    assert "#1 user: Where should I go?" in out and "#2 assistant: Lisbon is lovely in May." in out
    assert '"message_count": 2' in out
    assert "assistant> Porto too." in out
    assert "Started conversation" in out and "(2 rows)" in out
    assert fake.requests[1]["messages"][-1] == {"role": "user", "content": "And then?"}
    assert len(fake.requests[1]["messages"]) == 4  # system + the first turn + the new question
