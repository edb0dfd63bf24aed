"""convstore.integrations.langgraph with LangGraph's own runner: a StateGraph
with a scripted chat model (langchain-core's GenericFakeChatModel) and
LangGraph's ToolNode, on both databases. The conversation a thread is
mirrors the graph's state exactly after turns, edits, removals, a fork and a
crash between steps; erasure and user views cover the checkpoints."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
)
from langchain_core.tools import tool
from langgraph.graph import START, StateGraph
from langgraph.graph.message import REMOVE_ALL_MESSAGES, add_messages
from langgraph.prebuilt import ToolNode, tools_condition

import convstore
from convstore import ConversationExists, InvalidInput, Store
from convstore.integrations.langgraph import ConvstoreSaver, conversation_id_of
from convstore.sqlfiles.parser import load_query

TEST_SQL = Path(__file__).parent / "sql"
ROLES = {"human": "user", "ai": "assistant", "tool": "tool", "system": "system"}


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


@tool
def weather(city: str) -> str:
    """The weather in a city."""
    if city == "Atlantis":
        raise RuntimeError("the weather service is down")
    return f"Sunny in {city}"


def asks_weather(city: str, call_id: str = "call-1") -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": "weather", "args": {"city": city}, "id": call_id}]
    )


def chat_graph(replies: Sequence[AIMessage | str], saver: ConvstoreSaver) -> Any:
    """agent -> (tools -> agent)*, the model answering ``replies`` in turn."""
    model = GenericFakeChatModel(messages=iter(replies))

    def agent(state: State) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(State)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([weather], handle_tool_errors=False))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=saver)


def mirrored(store: Store, thread_id: str) -> list[tuple[Any, ...]]:
    """The conversation's messages as (role, content, tool call ids, tool_call_id, key)."""
    return [
        (
            m["role"],
            m["content"],
            [call["id"] for call in m["tool_calls"] or []],
            m["tool_call_id"],
            m["idempotency_key"],
        )
        for m in store.get_messages(conversation_id_of(thread_id), limit=None)
    ]


def in_state(messages: Sequence[BaseMessage]) -> list[tuple[Any, ...]]:
    """The graph's messages as :func:`mirrored` gives the conversation's."""
    return [
        (
            ROLES[m.type],
            m.content or (None if getattr(m, "tool_calls", None) else ""),
            [call["id"] for call in getattr(m, "tool_calls", [])],
            getattr(m, "tool_call_id", None),
            m.id,
        )
        for m in messages
    ]


def assert_mirrors(store: Store, graph: Any, thread_id: str) -> list[BaseMessage]:
    state = graph.get_state(config_of(thread_id)).values.get("messages", [])
    assert mirrored(store, thread_id) == in_state(state)
    return state


def config_of(thread_id: str, **configurable: Any) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id, **configurable}}


@pytest.fixture
def saver(store: Store, user: str) -> ConvstoreSaver:
    return ConvstoreSaver(store, user_id=user)


@pytest.fixture
def thread_id(user: str) -> str:
    """The tutorial's thread id shape."""
    return f"user-{user}-conv-{uuid.uuid4().hex[:8]}"


def test_turns_with_a_tool_are_mirrored_and_readable_through_convstore(
    store, saver, user, thread_id
):
    graph = chat_graph([asks_weather("Lisbon"), "Sunny in Lisbon.", "You are welcome."], saver)
    config = config_of(thread_id)
    graph.invoke({"messages": [SystemMessage("Be brief."), HumanMessage("Weather?")]}, config)
    graph.invoke({"messages": [HumanMessage("Thanks!")]}, config)

    state = assert_mirrors(store, graph, thread_id)
    assert [m.type for m in state] == ["system", "human", "ai", "tool", "ai", "human", "ai"]
    conversation = conversation_id_of(thread_id)
    messages = store.get_messages(conversation, limit=None)
    assert messages[0]["pinned"] and messages[0]["role"] == "system"
    call = messages[2]["tool_calls"][0]
    assert call["function"] == {"name": "weather", "arguments": '{"city": "Lisbon"}'}
    assert (messages[3]["tool_call_id"], messages[3]["name"]) == ("call-1", "weather")
    assert messages[3]["content"] == "Sunny in Lisbon"
    assert store.get_conversation(conversation)["metadata"] == {"langgraph_thread_id": thread_id}
    assert store.search_messages(user, "lisbon")[0]["conversation_id"] == conversation
    assert all(m["tokens_estimated"] for m in messages if m["role"] != "assistant")
    tokens = [m["tokens"] for m in messages]  # estimates, and the model's usage
    last_turn = tokens[0] + sum(tokens[4:])  # the pinned prompt and the last three
    context = store.get_recent_context(conversation, max_tokens=last_turn)
    assert [m["role"] for m in context] == ["system", "assistant", "user", "assistant"]
    assert store.get_conversation_stats(conversation)["message_count"] == 7


def test_edits_and_removals_by_add_messages_are_mirrored_in_place(store, saver, thread_id):
    graph = chat_graph(["One.", "Two.", "Three."], saver)
    config = config_of(thread_id)
    for text in ("a", "b", "c"):
        graph.invoke({"messages": [HumanMessage(text)]}, config)
    state = assert_mirrors(store, graph, thread_id)
    conversation = conversation_id_of(thread_id)
    seqs = [m["seq"] for m in store.get_messages(conversation, limit=None)]

    graph.update_state(config, {"messages": [HumanMessage("B!", id=state[2].id)]})
    assert_mirrors(store, graph, thread_id)
    after_edit = store.get_messages(conversation, limit=None)
    assert [m["seq"] for m in after_edit] == seqs  # replaced in place
    assert after_edit[2]["content"] == "B!"

    graph.update_state(config, {"messages": [RemoveMessage(id=state[1].id)]})
    assert_mirrors(store, graph, thread_id)
    assert [m["seq"] for m in store.get_messages(conversation, limit=None)] == [
        seqs[0],
        *seqs[2:],
    ]

    # (as the tool node: the agent's routing needs a message to look at)
    graph.update_state(
        config, {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES)]}, as_node="tools"
    )
    assert assert_mirrors(store, graph, thread_id) == []
    assert store.get_conversation(conversation)["message_count"] == 0


def test_a_fork_from_an_older_checkpoint_becomes_the_conversation(store, saver, thread_id):
    graph = chat_graph(["One.", "Two.", "Other two."], saver)
    config = config_of(thread_id)
    graph.invoke({"messages": [HumanMessage("first")]}, config)
    graph.invoke({"messages": [HumanMessage("second")]}, config)
    after_first = next(
        snapshot
        for snapshot in graph.get_state_history(config)
        if len(snapshot.values.get("messages", [])) == 2 and not snapshot.next
    )

    graph.invoke({"messages": [HumanMessage("second, again")]}, after_first.config)

    state = assert_mirrors(store, graph, thread_id)
    assert [m.content for m in state] == ["first", "One.", "second, again", "Other two."]
    # The older branch is still there, exactly.
    older = [s for s in graph.get_state_history(config) if len(s.values["messages"]) == 4]
    assert {tuple(m.content for m in s.values["messages"]) for s in older} == {
        ("first", "One.", "second", "Two."),
        ("first", "One.", "second, again", "Other two."),
    }


def test_a_crash_between_steps_leaves_the_last_checkpoint_mirrored(store, saver, thread_id):
    graph = chat_graph([asks_weather("Atlantis"), "It is sunny."], saver)
    config = config_of(thread_id)
    with pytest.raises(RuntimeError, match="weather service is down"):
        graph.invoke({"messages": [HumanMessage("Weather in Atlantis?")]}, config)

    state = assert_mirrors(store, graph, thread_id)
    assert [m.type for m in state] == ["human", "ai"]
    assert graph.get_state(config).next == ("tools",)

    # The run resumes from that checkpoint once the tool answers.
    graph.update_state(
        config,
        {"messages": [{"role": "tool", "content": "Rainy", "tool_call_id": "call-1"}]},
        as_node="tools",
    )
    graph.invoke(None, config)
    state = assert_mirrors(store, graph, thread_id)
    assert [m.type for m in state] == ["human", "ai", "tool", "ai"]


def test_text_postgresql_cannot_store_never_fails_a_step(store, saver, thread_id):
    graph = chat_graph(["Got\x00it."], saver)
    graph.invoke({"messages": [HumanMessage("nul \x00 here")]}, config_of(thread_id))

    state = graph.get_state(config_of(thread_id)).values["messages"]
    assert [m.content for m in state] == ["nul \x00 here", "Got\x00it."]  # kept exactly
    stored = store.get_messages(conversation_id_of(thread_id), limit=None)
    assert [m["content"] for m in stored] == ["nul \ufffd here", "Got\ufffdit."]


@pytest.mark.parametrize(
    "odd_id", ["12345678-1234-1234-1234-12345678901", "  spaced  ", 42, "x" * 3000, "Łódź 🚀"]
)
def test_any_thread_id_langgraph_accepts_works(store, saver, odd_id):
    graph = chat_graph(["Hi."], saver)
    graph.invoke({"messages": [HumanMessage("hello")]}, config_of(odd_id))
    assert [m.content for m in assert_mirrors(store, graph, odd_id)] == ["hello", "Hi."]
    assert graph.get_state(config_of(odd_id)).config["configurable"]["thread_id"] == str(odd_id)


def test_concurrent_ainvoke_on_many_threads(database_url, user):
    threads = [f"{user}-{n}" for n in range(24)]

    async def main() -> None:
        async with await convstore.connect_async(database_url) as store:
            saver = ConvstoreSaver(store, user_id=user)

            async def converse(thread_id: str) -> None:
                graph = chat_graph([asks_weather(thread_id), "Done.", "Bye."], saver)
                config = config_of(thread_id)
                await graph.ainvoke({"messages": [HumanMessage(f"hi from {thread_id}")]}, config)
                await graph.ainvoke({"messages": [HumanMessage("bye")]}, config)

            await asyncio.gather(*(converse(thread_id) for thread_id in threads))

    asyncio.run(main())
    with convstore.connect(database_url) as store:
        saver = ConvstoreSaver(store, user_id=user)
        for thread_id in threads:
            graph = chat_graph([], saver)
            state = assert_mirrors(store, graph, thread_id)
            assert len(state) == 6
            assert state[0].content == f"hi from {thread_id}"


def test_erasure_and_deletion_remove_the_checkpoints(store, saver, user, thread_id):
    graph = chat_graph(["One.", "Two."], saver)
    graph.invoke({"messages": [HumanMessage("a")]}, config_of(thread_id))
    other = f"{thread_id}-other"
    graph.invoke({"messages": [HumanMessage("b")]}, config_of(other))
    assert list(saver.list(config_of(thread_id)))

    store.delete_conversation(conversation_id_of(thread_id))
    assert saver.get_tuple(config_of(thread_id)) is None
    assert list(saver.list(config_of(thread_id))) == []
    assert saver.get_tuple(config_of(other)) is not None

    store.delete_user_data(user)
    assert list(saver.list(None)) == []
    assert store.get_conversation(conversation_id_of(other)) is None

    graph = chat_graph(["Again."], saver)
    graph.invoke({"messages": [HumanMessage("c")]}, config_of(other))
    saver.delete_thread(other)
    assert store.get_conversation(conversation_id_of(other)) is None
    assert saver.get_tuple(config_of(other)) is None


def test_a_user_view_cannot_see_or_write_another_users_threads(store, user, thread_id):
    alice = ConvstoreSaver(store.for_user(user))
    chat_graph(["Hi."], alice).invoke({"messages": [HumanMessage("secret")]}, config_of(thread_id))
    bob_store = store.for_user(f"{user}-bob")
    bob = ConvstoreSaver(bob_store)

    assert bob.get_tuple(config_of(thread_id)) is None
    assert list(bob.list(config_of(thread_id))) == []
    assert list(bob.list(None)) == []
    assert bob_store.search_messages(None, "secret") == []
    with pytest.raises(ConversationExists):
        chat_graph(["Mine now."], bob).invoke(
            {"messages": [HumanMessage("hijack")]}, config_of(thread_id)
        )
    assert [
        m.content
        for m in alice.get_tuple(config_of(thread_id)).checkpoint["channel_values"]["messages"]
    ] == ["secret", "Hi."]
    with pytest.raises(InvalidInput, match="limited to user"):
        bob.get_tuple(config_of(thread_id, user_id=user))


def test_the_owner_comes_from_the_config_or_the_saver(store, user, thread_id):
    saver = ConvstoreSaver(store)
    graph = chat_graph(["Hi."] * 3, saver)
    with pytest.raises(InvalidInput, match="owner is not known"):
        graph.invoke({"messages": [HumanMessage("hello")]}, config_of(thread_id))
    graph.invoke({"messages": [HumanMessage("hello")]}, config_of(thread_id, user_id=user))
    assert store.get_conversation(conversation_id_of(thread_id))["user_id"] == user
    # Another user's config does not reach the thread.
    stranger = config_of(thread_id, user_id=f"{user}-stranger")
    assert saver.get_tuple(stranger) is None
    with pytest.raises(ConversationExists):
        graph.invoke({"messages": [HumanMessage("me too")]}, stranger)


def test_a_turn_writes_only_its_new_messages(store, saver, thread_id):
    """The message list is stored item by item, each version keeping what it
    shares with its parent: a turn writes its two new messages, however long
    the thread already is."""
    graph = chat_graph([f"reply {n}" for n in range(12)], saver)
    count = load_query(TEST_SQL / "langgraph_list_items.sql", store.dialect, "items")
    written = []
    for n in range(12):
        before = store.database.run(count, conversation_id=conversation_id_of(thread_id))
        graph.invoke({"messages": [HumanMessage(f"turn {n}")]}, config_of(thread_id))
        after = store.database.run(count, conversation_id=conversation_id_of(thread_id))
        written.append(after[0]["items"] - before[0]["items"])
    assert written == [2] * 12  # the question and the answer
    assert len(assert_mirrors(store, graph, thread_id)) == 24


def test_row_level_security_covers_the_checkpoints(application_url, user):
    """Through a user view, even SQL of one's own sees only that user's
    checkpoint rows (the application role is not the tables' owner)."""
    alice, bob = f"{user}-alice", f"{user}-bob"
    owners = load_query(TEST_SQL / "langgraph_owners.sql", "postgres", "owners")
    with convstore.connect(application_url, migrate=False) as store:
        for owner in (alice, bob):
            graph = chat_graph(
                [asks_weather("Bergen"), "Wet."], ConvstoreSaver(store.for_user(owner))
            )
            graph.invoke({"messages": [HumanMessage("weather?")]}, config_of(f"{owner}-thread"))
        with store.for_user(alice).connection() as connection:
            seen = connection.execute(owners.statement).fetchall()
        everyone = store.database.run(owners)
    assert {table for table, _ in seen} == {
        "langgraph_checkpoints",
        "langgraph_channel_values",
        "langgraph_list_items",
        "langgraph_writes",
    }
    assert {owner for _, owner in seen} == {alice}
    assert {row["user_id"] for row in everyone} >= {alice, bob}


def test_a_graph_runs_through_pgbouncer(pgbouncer_url, user):
    """Transaction pooling: no prepared statements, user scopes per transaction."""
    with convstore.connect(pgbouncer_url, transaction_pooling=True) as store:
        saver = ConvstoreSaver(store.for_user(user))
        graph = chat_graph([asks_weather("Oslo"), "Cold.", "Bye."], saver)
        thread_id = f"{user}-bounced"
        graph.invoke({"messages": [HumanMessage("weather?")]}, config_of(thread_id))
        graph.invoke({"messages": [HumanMessage("thanks")]}, config_of(thread_id))
        assert len(assert_mirrors(store, graph, thread_id)) == 6


def test_two_savers_taking_turns_on_one_thread(database_url, user):
    """Two processes' savers (each its own store and memory of the lists it
    wrote) alternate on one thread: every turn builds on the other's."""
    thread_id = f"{user}-shared"
    with convstore.connect(database_url) as first, convstore.connect(database_url) as second:
        savers = [ConvstoreSaver(first, user_id=user), ConvstoreSaver(second, user_id=user)]
        for turn in range(6):
            graph = chat_graph([f"reply {turn}"], savers[turn % 2])
            graph.invoke({"messages": [HumanMessage(f"turn {turn}")]}, config_of(thread_id))
        for store, saver in zip((first, second), savers, strict=True):
            state = assert_mirrors(store, chat_graph([], saver), thread_id)
            assert [m.content for m in state][-2:] == ["turn 5", "reply 5"]
            assert len(state) == 12
