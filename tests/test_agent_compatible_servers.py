"""The agent works with every OpenAI-compatible server: one that refuses
``stream_options``, and one that needs no API key (the agent and ``convstore
chat``). The real openai client talks HTTP to the fake server (both databases)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from convstore.agent import PLACEHOLDER_API_KEY, ModelError, PersistentAgent, estimate_tokens
from convstore.errors import ConfigurationError

from .fake_openai import (
    EXTRA_INPUTS,
    STREAM_OPTIONS_UNKNOWN,
    SYSTEM,
    FakeOpenAI,
    agent_for,
    client_for,
    error_reply,
    text_reply,
)

CREDENTIALS = ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY", "OPENAI_BASE_URL")


@pytest.mark.parametrize("refusal", [STREAM_OPTIONS_UNKNOWN, EXTRA_INPUTS], ids=["named", "422"])
def test_a_server_refusing_stream_options_still_streams(store, user, refusal):
    with FakeOpenAI(refuse_stream_options=refusal) as fake:
        agent = agent_for(store, client_for(fake))
        conversation_id = agent.start_conversation(user)
        fake.script.extend([text_reply("one two three"), text_reply("four five")])

        assert "".join(agent.chat_stream(conversation_id, "count")) == "one two three"
        assert ["stream_options" in body for body in fake.requests] == [True, False]
        assert agent.stream_usage is False
        # Remembered: the next stream is sent once, without it.
        assert "".join(agent.chat_stream(conversation_id, "more")) == "four five"
        assert len(fake.requests) == 3 and "stream_options" not in fake.requests[2]

    user_message, reply = agent.get_history(conversation_id)[:2]
    assert reply["content"] == "one two three" and "usage" not in reply["metadata"]
    assert reply["tokens"] == estimate_tokens("one two three")
    assert user_message["tokens"] == estimate_tokens("count")  # no usage to correct it with
    assert reply["metadata"]["streamed"] is True


def test_a_server_taking_stream_options_keeps_them(store, user):
    with FakeOpenAI() as fake:
        agent = agent_for(store, client_for(fake))
        conversation_id = agent.start_conversation(user)
        fake.script.extend([text_reply("one", 20, 1), error_reply(400), text_reply("two", 20, 1)])

        assert "".join(agent.chat_stream(conversation_id, "a")) == "one"
        assert agent.stream_usage is True
        # A later 4xx that does not name stream_options is the request's fault: not retried.
        with pytest.raises(ModelError):
            list(agent.chat_stream(conversation_id, "b", request_id="b"))
        assert len(fake.requests) == 2
        assert "".join(agent.chat_stream(conversation_id, "b", request_id="b")) == "two"
        assert all(body["stream_options"] == {"include_usage": True} for body in fake.requests)


@pytest.mark.parametrize("status", [401, 429])
def test_a_first_stream_refused_for_another_reason_is_not_retried(store, user, status):
    with FakeOpenAI() as fake:
        agent = agent_for(store, client_for(fake))
        conversation_id = agent.start_conversation(user)
        fake.script.append(error_reply(status))

        with pytest.raises(ModelError):
            list(agent.chat_stream(conversation_id, "a"))
        assert len(fake.requests) == 1 and agent.stream_usage is None


@pytest.fixture
def no_credentials(monkeypatch):
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_an_api_key_the_agent_uses_a_local_server(store, user, no_credentials):
    with FakeOpenAI() as fake:
        no_credentials.setenv("OPENAI_BASE_URL", fake.base_url)
        agent = PersistentAgent(store, model="fake-model", system_prompt=SYSTEM)
        conversation_id = agent.start_conversation(user)
        fake.script.append(text_reply("Local hello."))
        assert agent.chat(conversation_id, "Hi") == "Local hello."
        assert fake.api_keys == [PLACEHOLDER_API_KEY]


def test_without_an_api_key_or_a_base_url_the_agent_says_what_to_set(store, no_credentials):
    with pytest.raises(ConfigurationError) as raised:
        PersistentAgent(store, model="fake-model")
    assert "OPENAI_API_KEY" in str(raised.value) and "OPENAI_BASE_URL" in str(raised.value)
    assert "\n" not in str(raised.value)


def run_chat_command(database_url: str, cwd: Path, **environment: str):
    """``convstore chat`` as a subprocess, with no OpenAI credentials in its
    environment but ``environment``."""
    convstore = str(Path(sys.executable).parent / "convstore")
    command = [convstore, "--url", database_url, "chat", "--user", "cli-tester"]
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIALS}
    return subprocess.run(
        [*command, "--model", "fake-model"],
        input="Hello?\n/quit\n",
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={**env, **environment},
    )


def test_convstore_chat_without_an_api_key_talks_to_a_local_server(database_url, tmp_path):
    with FakeOpenAI() as fake:
        fake.script.append(text_reply("Local hello."))
        done = run_chat_command(database_url, tmp_path, OPENAI_BASE_URL=fake.base_url)
    assert done.returncode == 0, done.stderr
    assert "assistant> Local hello." in done.stdout


def test_convstore_chat_without_an_api_key_or_base_url_fails_in_one_line(database_url, tmp_path):
    done = run_chat_command(database_url, tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("convstore: ") and "OPENAI_API_KEY" in done.stderr


def test_a_server_that_cannot_be_reached_is_named(store, user):
    """A connection error says which server (password hidden): the user set
    OPENAI_BASE_URL somewhere and must find which one is wrong."""
    import socket

    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    client = openai.OpenAI(
        base_url=f"http://user:secret@127.0.0.1:{port}/v1", api_key="test", max_retries=0, timeout=5
    )
    agent = agent_for(store, client)
    conversation_id = agent.start_conversation(user)
    with pytest.raises(ModelError, match=f"127.0.0.1:{port}/v1/chat/completions") as raised:
        agent.chat(conversation_id, "hello?")
    assert "secret" not in str(raised.value) and raised.value.retryable
