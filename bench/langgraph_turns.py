"""One LangGraph turn -- load the thread's state, one model step, save -- on
threads of 10, 100 and 1,000 prior messages grown turn by turn: convstore's
saver beside the stock saver of the same database (``SqliteSaver``,
``PostgresSaver``), each in a fresh database of its own, with the same graph
and scripted model (replies of about 300 characters).

Time per turn is the median of the turns; bytes per turn the growth of the
whole database over the turns (for convstore's saver that includes the
mirrored messages and their search index), divided by their number.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import START, MessagesState, StateGraph

import convstore
from bench import dataset
from convstore.integrations.langgraph import ConvstoreSaver

USER = "bench-langgraph"


def graph_with(saver: BaseCheckpointSaver) -> Any:
    """A chatbot whose scripted model answers with a sentence of the dataset."""
    generator = random.Random(7)
    model = GenericFakeChatModel(messages=(_text(generator) for _ in itertools.count()))

    def chatbot(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("chatbot", chatbot)
    graph.add_edge(START, "chatbot")
    return graph.compile(checkpointer=saver)


def measure(
    open_database: Callable[[], AbstractContextManager[str]],
    thread_lengths: Sequence[int],
    turns: int,
    add: Callable[[str, float], None],
) -> None:
    """Grow a thread turn by turn (two messages a turn, as a chat does: the
    savers keep every version), and when it holds each of
    ``thread_lengths`` prior messages, time ``turns`` more turns and the
    bytes they add. ``open_database()`` gives the URL of a fresh, migrated
    database; each saver gets its own."""
    for label, saver_for in (("convstore saver", _convstore_saver), ("stock saver", _stock)):
        generator = random.Random(11)
        with open_database() as url, saver_for(url) as saver, convstore.connect(url) as store:
            graph = graph_with(saver)
            config = {"configurable": {"thread_id": "bench-thread", "user_id": USER}}
            length = 0
            for target in thread_lengths:
                while length < target:
                    _turn(graph, config, generator)
                    length += 2
                size_before = _size(store)
                timings = [_turn(graph, config, generator) for _ in range(turns)]
                length += 2 * turns
                grown = _size(store) - size_before
                add(f"LangGraph turn at {target:,} msgs, {label}, ms", statistics.median(timings))
                add(f"LangGraph turn at {target:,} msgs, {label}, bytes stored", grown / turns)


def _turn(graph: Any, config: dict[str, Any], generator: random.Random) -> float:
    """One turn; its milliseconds."""
    started = time.perf_counter()
    graph.invoke({"messages": [HumanMessage(_text(generator))]}, config)
    return (time.perf_counter() - started) * 1000


@contextmanager
def _convstore_saver(url: str) -> Iterator[BaseCheckpointSaver]:
    with convstore.connect(url) as store:
        yield ConvstoreSaver(store, user_id=USER)


@contextmanager
def _stock(url: str) -> Iterator[BaseCheckpointSaver]:
    if url.startswith("sqlite:///"):
        with SqliteSaver.from_conn_string(url.removeprefix("sqlite:///")) as saver:
            yield saver
        return
    with PostgresSaver.from_conn_string(url) as saver:
        saver.setup()
        yield saver


def _size(store: convstore.Store) -> int:
    (row,) = store.database.run(dataset.bench_query(store.dialect, "database_size"))
    return int(row["bytes"])


def _text(generator: random.Random) -> str:
    """About 300 characters: a few sentences of the dataset's words."""
    return " ".join(dataset.sentence(generator) for _ in range(3))
