"""convstore.integrations.openai_agents on both databases: the SDK's own
Runner with its ScriptedModel (no network) stores in a ConvstoreSession
exactly what it stores in its own SQLiteSession."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from agents import Agent, RunConfig, Runner, SQLiteSession, function_tool
from agents.memory import SessionSettings
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call
from openai.types.responses import ResponseReasoningItem
from openai.types.responses.response_reasoning_item import Summary

import convstore
from convstore.integrations.openai_agents import ConvstoreSession

NO_TRACES = RunConfig(tracing_disabled=True)


@function_tool
def weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


def _script() -> ScriptedModel:
    """Two turns: a reasoning item and a tool call, the tool's answer, then a
    plain reply."""
    thought = ResponseReasoningItem(
        id="rs_1", type="reasoning", summary=[Summary(text="look it up", type="summary_text")]
    )
    return ScriptedModel(
        [
            ModelStep(output=[thought, function_call("weather", {"city": "Lisbon"}, call_id="c1")]),
            ModelStep(output=[assistant_message("Sunny in Lisbon.")]),
            ModelStep(output=[assistant_message("You are welcome.")]),
        ]
    )


async def _two_turns(session: Any) -> list[Any]:
    agent = Agent(name="helper", model=_script(), tools=[weather])
    await Runner.run(agent, "Weather in Lisbon?", session=session, run_config=NO_TRACES)
    await Runner.run(agent, "Thanks!", session=session, run_config=NO_TRACES)
    return await session.get_items()


def _with_store(url: str, body: Callable[[convstore.AsyncStore], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with await convstore.connect_async(url) as store:
            return await body(store)

    return asyncio.run(main())


def test_a_run_stores_exactly_what_the_sdks_own_session_stores(database_url, user, tmp_path):
    expected = asyncio.run(_two_turns(SQLiteSession("sdk", str(tmp_path / "sdk.db"))))

    async def body(store: convstore.AsyncStore) -> tuple[list[Any], list[Any]]:
        items = await _two_turns(ConvstoreSession(f"{user}-session", store, user))
        return items, await store.get_messages(f"{user}-session")

    items, messages = _with_store(database_url, body)
    assert items == expected
    assert [(m["role"], m["kind"], m["content"]) for m in messages] == [
        ("user", "message", "Weather in Lisbon?"),
        ("assistant", "reasoning", "look it up"),
        ("assistant", "function_call", None),
        ("tool", "function_call_output", "Sunny in Lisbon"),
        ("assistant", "message", "Sunny in Lisbon."),
        ("user", "message", "Thanks!"),
        ("assistant", "message", "You are welcome."),
    ]


def test_limits_pop_and_clear(database_url, user):
    async def body(store: convstore.AsyncStore) -> None:
        session = ConvstoreSession(f"{user}-s", store, user)
        assert await session.get_items() == []
        assert await session.pop_item() is None
        items = [
            {"role": "user", "content": "Weather?"},
            {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "Sunny"},
            {"role": "assistant", "content": "Sunny."},
        ]
        await session.add_items(items)
        assert await session.get_items(limit=3) == items[1:]
        # the newest two would start on an output without its call: left out
        assert await session.get_items(limit=2) == items[3:]
        limited = ConvstoreSession(f"{user}-s", store, user, session_settings=SessionSettings(2))
        assert await limited.get_items() == items[3:]
        assert await limited.get_items(limit=4) == items
        assert await session.get_items(limit=0) == []
        assert await session.pop_item() == items[3]
        assert await session.get_items() == items[:3]
        await session.clear_session()
        assert await session.get_items() == []
        await session.add_items([items[0]])
        assert [m["seq"] for m in await store.get_messages(f"{user}-s")] == [5]

    _with_store(database_url, body)


def test_a_limited_read_never_parts_a_reasoning_item_from_its_item(database_url, user):
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": []}
    call = {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "c1", "output": "Sunny"}
    reply = {"role": "assistant", "content": "Sunny."}

    async def body(store: convstore.AsyncStore) -> None:
        session = ConvstoreSession(f"{user}-r", store, user)
        await session.add_items(
            [{"role": "user", "content": "Weather?"}, reasoning, call, output, reply]
        )
        assert await session.get_items(limit=4) == [reasoning, call, output, reply]
        # the call without its reasoning item, then the output without its call: left out
        assert await session.get_items(limit=3) == [reply]

    _with_store(database_url, body)


def test_concurrent_sessions_of_one_id_keep_every_batch_whole(database_url, user):
    async def body(store: convstore.AsyncStore) -> list[Any]:
        async def writer(number: int) -> None:
            session = ConvstoreSession(f"{user}-shared", store, user)
            for turn in range(5):
                await session.add_items(
                    [
                        {"role": "user", "content": f"w{number} t{turn} question"},
                        {"role": "assistant", "content": f"w{number} t{turn} answer"},
                    ]
                )

        await asyncio.gather(*(writer(number) for number in range(8)))
        return await ConvstoreSession(f"{user}-shared", store, user).get_items()

    items = _with_store(database_url, body)
    assert len(items) == 80
    for question, answer in zip(items[::2], items[1::2], strict=True):
        assert answer["content"] == question["content"].replace("question", "answer")


def test_another_users_session_id_is_refused(database_url, user):
    async def body(store: convstore.AsyncStore) -> None:
        await ConvstoreSession(f"{user}-mine", store, user).add_items(
            [{"role": "user", "content": "hi"}]
        )
        intruder = ConvstoreSession(f"{user}-mine", store.for_user(f"{user}-other"))
        with pytest.raises(convstore.ConversationExists):
            await intruder.add_items([{"role": "user", "content": "planted"}])
        assert await intruder.get_items() == []

    _with_store(database_url, body)


def test_a_conversation_of_the_chat_api_reads_as_items(database_url, user):
    """Messages written without an item (convstore's own API, its agent) read
    as the input items their chat fields make."""

    async def body(store: convstore.AsyncStore) -> list[Any]:
        conversation_id = await store.create_conversation(user, conversation_id=f"{user}-chat")
        call = {"id": "c9", "type": "function", "function": {"name": "now", "arguments": "{}"}}
        await store.add_messages(
            conversation_id,
            [
                {"role": "user", "content": "Time?"},
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "content": "noon", "tool_call_id": "c9"},
            ],
        )
        return await ConvstoreSession(f"{user}-chat", store).get_items()

    assert _with_store(database_url, body) == [
        {"role": "user", "content": "Time?"},
        {"type": "function_call", "call_id": "c9", "name": "now", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c9", "output": "noon"},
    ]
