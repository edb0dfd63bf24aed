"""get_recent_context against a plain-Python reference, on both databases,
after random appends, token edits, replacements, deletes, truncations and pops."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

UNKNOWN_TOKENS = 100


@dataclass
class Stored:
    seq: int
    role: str
    tokens: int | None
    pinned: bool = False

    @property
    def counted(self) -> int:
        return UNKNOWN_TOKENS if self.tokens is None else self.tokens


def reference_context(messages: list[Stored], max_tokens: int, keep_tool_groups: bool) -> list[int]:
    """The seqs of every pinned message plus the longest newest run of unpinned
    messages that fits what the pinned ones leave, never starting on a tool
    message when ``keep_tool_groups``."""
    budget = max_tokens - sum(m.counted for m in messages if m.pinned)
    start = None
    total = 0
    for message in reversed([m for m in messages if not m.pinned]):
        total += message.counted
        if budget < 0 or total > budget:
            break
        if not (keep_tool_groups and message.role == "tool"):
            start = message.seq
    return [m.seq for m in messages if m.pinned or (start is not None and m.seq >= start)]


def _budgets_worth_trying(messages: list[Stored], extra: list[int]) -> set[int]:
    """Every exact fit (sums from the newest message, with and without the
    pinned ones), one either side, and the extras."""
    pinned = sum(m.counted for m in messages if m.pinned)
    budgets = {0, pinned, *extra}
    total = 0
    for message in reversed(messages):
        total += message.counted
        for fit in (total, total + pinned):
            budgets.update({fit - 1, fit, fit + 1})
    return {budget for budget in budgets if budget >= 0}


def _append(store, conversation_id, role, tokens, pinned):
    return store.add_message(
        conversation_id,
        role,
        "result" if role == "tool" else f"{role} text",
        tokens=tokens,
        pinned=pinned,
        tool_call_id="call_1" if role == "tool" else None,
    )


def _replace(store, conversation_id, message: Stored):
    return store.replace_message(
        conversation_id,
        message.seq,
        {
            "role": message.role,
            "content": f"replaced {message.role} text",
            "tokens": message.tokens,
            "pinned": message.pinned,
            "tool_call_id": "call_1" if message.role == "tool" else None,
        },
    )


def _check(store, conversation_id, messages, budgets):
    for keep_tool_groups in (True, False):
        for max_tokens in sorted(budgets):
            context = store.get_recent_context(
                conversation_id, max_tokens=max_tokens, keep_tool_groups=keep_tool_groups
            )
            expected = reference_context(messages, max_tokens, keep_tool_groups)
            assert [m["seq"] for m in context] == expected, (max_tokens, keep_tool_groups)
            if context:
                counted = [m["tokens"] if m["tokens"] is not None else 100 for m in context]
                assert context[0]["suffix_tokens"] == sum(counted)
    conversation = store.get_conversation(conversation_id)
    assert conversation["message_count"] == len(messages)
    assert [m["seq"] for m in conversation["messages"]] == [m.seq for m in messages]


token_count = st.one_of(st.none(), st.integers(0, 3), st.integers(0, 200), st.integers(0, 10**6))
roles = st.sampled_from(["user", "assistant", "tool", "system"])
pinned = st.sampled_from([False, False, False, True])
position = st.integers(0, 10**6)
operation = st.one_of(
    st.tuples(st.just("append"), roles, token_count, pinned),
    st.tuples(st.just("set_tokens"), position, token_count),
    st.tuples(st.just("delete"), position),
    st.tuples(st.just("replace"), position, roles, token_count, pinned),
    st.tuples(st.just("truncate"), position),
    st.tuples(st.just("delete_listed"), st.lists(position, max_size=6)),
    st.tuples(st.just("clear")),
    st.tuples(st.just("pop")),
)


@settings(
    max_examples=int(os.environ.get("CONVSTORE_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    operations=st.lists(operation, max_size=25),
    extra_budgets=st.lists(st.integers(0, 2 * 10**6), max_size=3),
)
def test_context_matches_reference_after_appends_edits_and_deletes(
    store, user, operations, extra_budgets
):
    conversation_id = store.create_conversation(user)
    messages: list[Stored] = []
    for kind, *arguments in operations:
        if kind == "append":
            role, tokens, pinned = arguments
            stored = _append(store, conversation_id, role, tokens, pinned)
            assert stored["tokens_estimated"] is (tokens is None)  # counted, not 100
            messages.append(Stored(stored["seq"], role, stored["tokens"], pinned))
        elif messages and kind == "set_tokens":
            chosen, tokens = messages[arguments[0] % len(messages)], arguments[1]
            updated = store.set_message_tokens(conversation_id, chosen.seq, tokens)
            assert updated["tokens_estimated"] is (tokens is None)
            assert tokens is None or updated["tokens"] == tokens
            chosen.tokens = updated["tokens"]
        elif messages and kind == "delete":
            chosen = messages.pop(arguments[0] % len(messages))
            assert store.delete_message(conversation_id, chosen.seq) is True
        elif messages and kind == "replace":
            chosen = messages[arguments[0] % len(messages)]
            chosen.role, chosen.tokens, chosen.pinned = arguments[1:]
            replaced = _replace(store, conversation_id, chosen)
            assert replaced["seq"] == chosen.seq
            assert chosen.tokens is None or replaced["tokens"] == chosen.tokens
            chosen.tokens = replaced["tokens"]
        elif messages and kind == "truncate":
            kept = arguments[0] % len(messages)
            after_seq = messages[kept].seq
            deleted = store.delete_messages(conversation_id, after_seq=after_seq)
            assert deleted == len(messages) - kept - 1
            del messages[kept + 1 :]
        elif messages and kind == "delete_listed":
            chosen_seqs = {messages[p % len(messages)].seq for p in arguments[0]}
            missing_seq = messages[-1].seq + 1  # listed, but not there: ignored
            deleted = store.delete_messages(conversation_id, seqs=[*chosen_seqs, missing_seq])
            assert deleted == len(chosen_seqs)
            messages[:] = [m for m in messages if m.seq not in chosen_seqs]
        elif kind == "clear":
            assert store.delete_messages(conversation_id) == len(messages)
            messages.clear()
        elif kind == "pop":
            popped = store.pop_message(conversation_id)
            newest = messages.pop() if messages else None
            assert (popped and popped["seq"]) == (newest and newest.seq)
    _check(store, conversation_id, messages, _budgets_worth_trying(messages, extra_budgets))


def test_newest_message_larger_than_budget_gives_empty_context(store, user):
    conversation_id = store.create_conversation(user)
    for tokens in (1, 1, 500):
        _append(store, conversation_id, "user", tokens, False)
    assert store.get_recent_context(conversation_id, max_tokens=499) == []


def test_large_conversation_matches_reference(store, user):
    generator = random.Random(20261125)
    conversation_id = store.create_conversation(user)
    messages = []
    batch = []
    for seq in range(1, 3001):
        role = generator.choice(["user", "assistant", "tool"])
        tokens = generator.choice([None, 0, generator.randint(1, 400)])
        pinned = seq in (1, 1500)
        messages.append(Stored(seq, role, tokens, pinned))
        batch.append(
            {
                "role": role,
                "content": "x",
                "tokens": tokens,
                "pinned": pinned,
                "tool_call_id": "call_1" if role == "tool" else None,
            }
        )
    for message, stored in zip(messages, store.add_messages(conversation_id, batch), strict=True):
        message.tokens = stored["tokens"]  # an estimate where none was given
    budgets = {generator.randint(0, 200_000) for _ in range(10)} | {0, 4000, 10**9}
    _check(store, conversation_id, messages, budgets)
