"""``convstore demo``: store a short conversation and show what convstore gives back."""

from __future__ import annotations

import json
from typing import TextIO

from ..connect import connect
from ..store.store import Store
from ..urls import DatabaseURL

_DEMO_TURNS = [
    {
        "role": "system",
        "content": "You are a concise travel assistant.",
        "tokens": 9,
        "pinned": True,
    },
    {"role": "user", "content": "I have two days in Lisbon. Where should I start?", "tokens": 14},
    {
        "role": "assistant",
        "content": "Start in Alfama: the castle at sunrise, then tram 28 down to Baixa.",
        "tokens": 19,
        "latency_ms": 840,
        "metadata": {"model": "gpt-4o-mini"},
    },
    {"role": "user", "content": "And on the second day?", "tokens": 7},
    {
        "role": "assistant",
        "content": "Belem: the tower, the monastery, and a pastel de nata where they were invented.",
        "tokens": 21,
        "latency_ms": 910,
        "metadata": {"model": "gpt-4o-mini"},
    },
]


def run_demo(url: str | DatabaseURL | None, out: TextIO) -> None:
    """Store a short conversation in the database at ``url`` (a URL string, a
    :class:`~convstore.urls.DatabaseURL`, or ``None`` for :func:`convstore.connect`'s
    default) and print its token-budget context and statistics to ``out``.

    :raises ConvstoreError: as :func:`convstore.connect` and the store's calls.
    """
    with connect(url) as store:
        conversation_id = store.create_conversation("demo-user", title="Two days in Lisbon")
        store.add_messages(conversation_id, _DEMO_TURNS)
        _show(store, conversation_id, out)


def _show(store: Store, conversation_id: str, out: TextIO) -> None:
    print(f"Stored conversation {conversation_id} on {store.dialect}.", file=out)
    budget = 50
    print(
        f"\nContext within {budget} tokens (the pinned system prompt, then the newest "
        "messages that fit, oldest first):",
        file=out,
    )
    for message in store.get_recent_context(conversation_id, max_tokens=budget):
        print(
            f"  #{message['seq']} {message['role']:<9} {message['tokens']:>3} tokens "
            f"(running {message['suffix_tokens']:>3}){' pinned' if message['pinned'] else '       '}"
            f"  {message['content']}",
            file=out,
        )
    stats = store.get_conversation_stats(conversation_id)
    print("\nStatistics:", file=out)
    print(json.dumps(stats, default=str, indent=2), file=out)
