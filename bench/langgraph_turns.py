"""One LangGraph turn -- load the thread's state, one model step, save -- on
threads of 10, 100 and 1,000 prior messages: convstore's saver beside the
stock saver of the same database (``SqliteSaver``, ``PostgresSaver``), each in
a fresh database of its own, with the same graph and scripted model.

Time per turn is the median of the turns; bytes per turn the growth of the
whole database over the turns (for convstore's saver that includes the
mirrored messages and their search index), divided by their number.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import START, MessagesState, StateGraph

import convstore
from bench import dataset
from convstore.integrations.langgraph import ConvstoreSaver

THREAD_LENGTHS = (10, 100, 1_000)
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
    open_database: Callable[[], Iterator[str]], turns: int, add: Callable[[str, float], None]
) -> None:
    """``open_database()`` is a context manager giving the URL of a fresh,
    migrated database; each saver and thread length gets one."""
    generator = random.Random(11)
    for length in THREAD_LENGTHS:
        history = [
            (HumanMessage if n % 2 == 0 else AIMessage)(_text(generator)) for n in range(length)
        ]
        for label, saver_for in (("convstore saver", _convstore_saver), ("stock saver", _stock)):
            with open_database() as url, saver_for(url) as saver, convstore.connect(url) as store:
                graph = graph_with(saver)
                config = {"configurable": {"thread_id": f"thread-{length}", "user_id": USER}}
                graph.invoke({"messages": history}, config)
                size_before = _size(store)
                timings = []
                for _ in range(turns):
                    started = time.perf_counter()
                    graph.invoke({"messages": [HumanMessage(_text(generator))]}, config)
                    timings.append((time.perf_counter() - started) * 1000)
                grown = _size(store) - size_before
            add(f"LangGraph turn at {length:,} msgs, {label}, ms", statistics.median(timings))
            add(f"LangGraph turn at {length:,} msgs, {label}, bytes stored", grown / turns)


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
