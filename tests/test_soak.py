"""Soak: many threads appending and reading at once; afterwards every
conversation's seq is exactly 1..n, every acknowledged message is present once,
and the token totals are exact. ``make test`` runs a few seconds of it;
``make soak`` runs it for CONVSTORE_SOAK_SECONDS (default there: 60)."""

from __future__ import annotations

import os
import random
import threading
import time

import convstore
from convstore import ConvstoreError

SECONDS = float(os.environ.get("CONVSTORE_SOAK_SECONDS", "2"))
THREADS = 16


def test_soak_threads_lose_and_duplicate_nothing(database_url, user):
    with convstore.connect(database_url, max_size=THREADS, timeout=60) as store:
        conversations = [store.create_conversation(user) for _ in range(4)]
        acknowledged: dict[str, list[tuple[str, int]]] = {c: [] for c in conversations}
        record = threading.Lock()
        failures: list[BaseException] = []
        operations = [0]
        deadline = time.monotonic() + SECONDS

        def work(worker: int) -> None:
            generator = random.Random(worker)
            step = 0
            try:
                while time.monotonic() < deadline:
                    step += 1
                    conversation_id = generator.choice(conversations)
                    key = f"{worker}-{step}"
                    action = generator.random()
                    if action < 0.5:
                        tokens = generator.randint(0, 50)
                        store.add_message(
                            conversation_id, "user", key, tokens=tokens, idempotency_key=key
                        )
                        stored = [(key, tokens)]
                    elif action < 0.7:
                        batch = [(f"{key}-{i}", generator.randint(0, 50)) for i in range(3)]
                        store.add_messages(
                            conversation_id,
                            [
                                {
                                    "role": "assistant",
                                    "content": k,
                                    "tokens": t,
                                    "idempotency_key": k,
                                }
                                for k, t in batch
                            ],
                        )
                        stored = batch
                    else:
                        context = store.get_recent_context(conversation_id, max_tokens=500)
                        assert all(m["conversation_id"] == conversation_id for m in context)
                        store.get_messages(conversation_id, limit=20)
                        stored = []
                    with record:
                        acknowledged[conversation_id].extend(stored)
                        operations[0] += 1
            except (ConvstoreError, AssertionError) as error:
                failures.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == []
        assert operations[0] > THREADS
        acknowledged_count = sum(len(messages) for messages in acknowledged.values())
        print(
            f"soak {store.dialect}: {operations[0]} operations by {THREADS} threads in "
            f"{SECONDS:.0f}s, {acknowledged_count} messages acknowledged"
        )
        for conversation_id, expected in acknowledged.items():
            stored = store.get_messages(conversation_id, limit=None)
            assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
            assert sorted((m["content"], m["tokens"]) for m in stored) == sorted(expected)
            total = sum(tokens for _, tokens in expected)
            assert store.get_conversation_stats(conversation_id)["total_tokens"] == total
            everything = store.get_recent_context(conversation_id, max_tokens=10**9)
            assert len(everything) == len(expected)
            assert everything and everything[0]["suffix_tokens"] == total
