"""Attacks on convstore.integrations (openai_agents and pydantic_ai), both
databases: each test here failed on the code it was written against."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from agents import SQLiteSession
from pydantic_ai.messages import ModelRequest, UserPromptPart

import convstore
from convstore.integrations.openai_agents import ConvstoreSession
from convstore.integrations.pydantic_ai import PydanticAIHistory

QUESTION = {"role": "user", "content": "Weather in Lisbon and Porto?"}
THOUGHT = {"type": "reasoning", "id": "rs_1", "summary": []}
CALLS = [
    {"type": "function_call", "call_id": f"c{n}", "name": "weather", "arguments": "{}"}
    for n in (1, 2)
]
OUTPUTS = [
    {"type": "function_call_output", "call_id": f"c{n}", "output": f"Sunny {n}"} for n in (1, 2)
]
ANSWER = {"role": "assistant", "content": "Sunny in both."}
PARALLEL_TURN = [QUESTION, THOUGHT, *CALLS, *OUTPUTS, ANSWER]
"""One turn of a reasoning model that called two tools at once (parallel tool
calls: both calls, then both outputs)."""


def _with_store(url: str, body: Callable[[convstore.AsyncStore], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with await convstore.connect_async(url) as store:
            return await body(store)

    return asyncio.run(main())


def _orphan_outputs(items: list[Any]) -> list[str]:
    """The call ids of tool outputs in ``items`` whose call is not in ``items``
    (what the Responses API rejects: "No tool call found for function call
    output with call_id ...")."""
    called = {item["call_id"] for item in items if item.get("type") == "function_call"}
    return [
        item["call_id"]
        for item in items
        if item.get("type") == "function_call_output" and item["call_id"] not in called
    ]


@pytest.mark.parametrize("limit", [4, 5])
def test_a_limited_read_never_keeps_a_parallel_calls_output_without_its_call(
    database_url, user, limit
):
    # limit 4 cuts between the two calls; limit 5 keeps both calls, but the
    # reasoning rule then drops the first one. Either way the first output
    # stays while its call is gone: the read only checks items[0].
    async def body(store: convstore.AsyncStore) -> list[Any]:
        session = ConvstoreSession(f"{user}-parallel", store, user)
        await session.add_items(PARALLEL_TURN)
        return await session.get_items(limit)

    items = _with_store(database_url, body)
    assert _orphan_outputs(items) == [], items


def test_a_negative_limit_reads_what_the_sdks_own_session_reads(database_url, user, tmp_path):
    # The SDK's SQLiteSession keeps "SQLite's unlimited behavior for negative
    # values" on purpose (agents/memory/sqlite_session.py); ConvstoreSession
    # returns nothing.
    async def read(session: Any) -> list[Any]:
        await session.add_items(PARALLEL_TURN)
        return await session.get_items(-1)

    expected = asyncio.run(read(SQLiteSession("sdk", str(tmp_path / "sdk.db"))))
    items = _with_store(
        database_url, lambda store: read(ConvstoreSession(f"{user}-negative", store, user))
    )
    assert expected == PARALLEL_TURN
    assert items == expected


@pytest.mark.parametrize("item", ["Hello", None, 42], ids=["str", "None", "int"])
def test_an_item_that_is_not_a_mapping_is_invalid_input(database_url, user, item):
    # Documented: InvalidInput for "an item convstore cannot store"; got
    # AttributeError from item.get in _type/_message_of.
    async def body(store: convstore.AsyncStore) -> None:
        session = ConvstoreSession(f"{user}-bad", store, user)
        with pytest.raises(convstore.InvalidInput):
            await session.add_items([item])
        assert await session.get_items() == []

    _with_store(database_url, body)


@pytest.mark.parametrize("message", ["Hello", None], ids=["str", "None"])
def test_a_history_entry_that_is_not_a_model_message_is_invalid_input(database_url, user, message):
    # Documented: InvalidInput for "a message convstore cannot store"; got
    # TypeError from _stored indexing what the adapter dumped.
    async def body(store: convstore.AsyncStore) -> None:
        history = PydanticAIHistory(f"{user}-bad", store, user)
        with pytest.raises(convstore.InvalidInput):
            await history.add([message])  # type: ignore[list-item]

    _with_store(database_url, body)


def test_a_session_stores_again_after_its_conversation_is_deleted(database_url, user):
    # _ensured is cached for the object's life: once the conversation is gone
    # (delete_conversation, retention, another process) every add_items of
    # this session is NotFound, while a new session of the same id, and the
    # SDK's own SQLiteSession, store fine.
    async def body(store: convstore.AsyncStore) -> list[Any]:
        session = ConvstoreSession(f"{user}-deleted", store, user)
        await session.add_items([QUESTION])
        await store.delete_conversation(f"{user}-deleted")
        await session.add_items([ANSWER])
        return await session.get_items()

    assert _with_store(database_url, body) == [ANSWER]


def test_a_history_stores_again_after_its_conversation_is_deleted(database_url, user):
    prompt = [ModelRequest(parts=[UserPromptPart("Hello")])]

    async def body(store: convstore.AsyncStore) -> list[Any]:
        history = PydanticAIHistory(f"{user}-deleted", store, user)
        await history.add(prompt)
        await store.delete_conversation(f"{user}-deleted")
        await history.add(prompt)
        return await history.load()

    assert _with_store(database_url, body) == prompt
