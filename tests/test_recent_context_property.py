"""get_recent_context against a plain-Python reference, on both databases."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

UNKNOWN_TOKENS = 100


def reference_context(token_counts: list[int | None], max_tokens: int) -> list[int]:
    """The seqs of the longest newest run whose counted tokens fit ``max_tokens``."""
    total = 0
    first = len(token_counts) + 1
    for seq in range(len(token_counts), 0, -1):
        counted = token_counts[seq - 1]
        total += UNKNOWN_TOKENS if counted is None else counted
        if total > max_tokens:
            break
        first = seq
    return list(range(first, len(token_counts) + 1))


def _budgets_worth_trying(token_counts: list[int | None], extra: list[int]) -> set[int]:
    """Every exact fit (sums from the newest message), one either side, and the extras."""
    budgets = {0, *extra}
    total = 0
    for counted in reversed(token_counts):
        total += UNKNOWN_TOKENS if counted is None else counted
        budgets.update({total - 1, total, total + 1})
    return {budget for budget in budgets if budget >= 0}


def _store_conversation(store, user, token_counts):
    conversation_id = store.create_conversation(user)
    store.add_messages(
        conversation_id,
        [{"role": "user", "content": f"m{i}", "tokens": t} for i, t in enumerate(token_counts)],
    )
    return conversation_id


def _check(store, conversation_id, token_counts, budgets):
    for max_tokens in sorted(budgets):
        context = store.get_recent_context(conversation_id, max_tokens=max_tokens)
        assert [m["seq"] for m in context] == reference_context(token_counts, max_tokens), (
            max_tokens
        )
        if context:
            assert context[0]["suffix_tokens"] <= max_tokens
            assert [m["suffix_tokens"] for m in context] == sorted(
                (m["suffix_tokens"] for m in context), reverse=True
            )


token_count = st.one_of(st.none(), st.integers(0, 3), st.integers(0, 200), st.integers(0, 10**6))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    token_counts=st.lists(token_count, max_size=30),
    extra_budgets=st.lists(st.integers(0, 2 * 10**6), max_size=3),
)
def test_context_matches_reference(store, user, token_counts, extra_budgets):
    conversation_id = _store_conversation(store, user, token_counts)
    _check(store, conversation_id, token_counts, _budgets_worth_trying(token_counts, extra_budgets))


def test_newest_message_larger_than_budget_gives_empty_context(store, user):
    conversation_id = _store_conversation(store, user, [1, 1, 500])
    assert store.get_recent_context(conversation_id, max_tokens=499) == []


def test_large_conversation_matches_reference(store, user):
    generator = random.Random(20261125)
    token_counts = [generator.choice([None, 0, generator.randint(1, 400)]) for _ in range(3000)]
    conversation_id = _store_conversation(store, user, token_counts)
    budgets = {generator.randint(0, 200_000) for _ in range(20)} | {0, 4000, 10**9}
    _check(store, conversation_id, token_counts, budgets)
