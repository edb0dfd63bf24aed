"""convstore.integrations.pydantic_ai on both databases, with pydantic-ai's
own TestModel (no network): a history round-trips equal, and a budgeted load
is one the library runs on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import ModelRequest, ToolReturnPart
from pydantic_ai.models.test import TestModel

import convstore
from convstore.integrations.pydantic_ai import PydanticAIHistory


def _agent() -> Agent[None, str]:
    agent = Agent(TestModel(), system_prompt="Be brief.")

    @agent.tool_plain
    def weather(city: str) -> str:
        """The weather in a city."""
        return f"Sunny in {city}"

    return agent


def _with_store(url: str, body: Callable[[convstore.AsyncStore], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with await convstore.connect_async(url) as store:
            return await body(store)

    return asyncio.run(main())


def test_a_history_round_trips_equal(database_url, user):
    async def body(store: convstore.AsyncStore) -> None:
        agent, history = _agent(), PydanticAIHistory(f"{user}-chat", store, user)
        first = await agent.run("Weather in Lisbon?")
        await history.add(first.new_messages())
        second = await agent.run("Thanks!", message_history=await history.load())
        await history.add(second.new_messages())

        assert await history.load() == second.all_messages()
        stored = await store.get_messages(f"{user}-chat", limit=None)
        assert [(m["role"], m["kind"], m["pinned"]) for m in stored] == [
            ("user", "pydantic_ai.request", True),
            ("assistant", "pydantic_ai.response", False),
            ("tool", "pydantic_ai.request", False),
            ("assistant", "pydantic_ai.response", False),
            ("user", "pydantic_ai.request", False),
            ("assistant", "pydantic_ai.response", False),
        ]
        assert stored[0]["content"] == "Be brief.\nWeather in Lisbon?"
        assert stored[1]["tokens"] == second.all_messages()[1].usage.output_tokens
        hits = await store.search_messages(user, "lisbon")
        assert [hit["seq"] for hit in hits] == [1]

    _with_store(database_url, body)


@pytest.mark.parametrize("max_tokens", [0, 120, 150, 200, 10_000])
def test_a_budgeted_load_keeps_the_system_prompt_and_whole_tool_groups(
    database_url, user, max_tokens
):
    async def body(store: convstore.AsyncStore) -> None:
        agent, history = _agent(), PydanticAIHistory(f"{user}-{max_tokens}", store, user)
        for question in ("Weather in Lisbon?", "And in Porto?"):
            result = await agent.run(question, message_history=await history.load())
            await history.add(result.new_messages())

        loaded = await history.load(max_tokens=max_tokens)
        assert isinstance(loaded[0], ModelRequest)
        assert loaded[0].parts[0].part_kind == "system-prompt"  # pinned: always there
        if len(loaded) > 1:
            first_after = loaded[1]
            assert not (
                isinstance(first_after, ModelRequest)
                and any(isinstance(part, ToolReturnPart) for part in first_after.parts)
            )
        complete = await history.load()
        assert loaded == [loaded[0], *complete[len(complete) - len(loaded) + 1 :]]
        reply = await agent.run("Thanks!", message_history=loaded)  # the library accepts it
        assert reply.output

    _with_store(database_url, body)


def test_clear_and_another_users_history(database_url, user):
    async def body(store: convstore.AsyncStore) -> None:
        history = PydanticAIHistory(f"{user}-mine", store, user)
        await history.add((await _agent().run("Hi")).new_messages())
        intruder = PydanticAIHistory(f"{user}-mine", store.for_user(f"{user}-other"))
        with pytest.raises(convstore.ConversationExists):
            await intruder.add((await _agent().run("planted")).new_messages())
        assert await intruder.load() == []
        await history.clear()
        assert await history.load() == []

    _with_store(database_url, body)
