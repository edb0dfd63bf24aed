"""Statistics answer the same on SQLite and PostgreSQL: on identical data
get_conversation_stats, get_user_stats and their raw queries give equal values
of equal types (an average to the last bit, counts and sums as int, times as
UTC datetime)."""

from __future__ import annotations

import pytest

import convstore

from .test_parity_reports import ALICE, AVERAGED, BOB, CAROL, MESSAGES, _typed, pair  # noqa: F401 -- the fixture

USERS = [ALICE, BOB, CAROL, "nobody"]


def _both(pair, call) -> tuple[object, object]:  # noqa: F811 -- the fixture
    answers = []
    for dialect in ("sqlite", "postgres"):
        with convstore.connect(pair[dialect]) as store:
            answers.append(call(store))
    return answers[0], answers[1]


def _typed_value(value):
    if isinstance(value, dict):
        return {key: (type(item), _typed_value(item)) for key, item in value.items()}
    return value


@pytest.mark.parametrize("conversation_id", list(MESSAGES))
def test_conversation_stats_agree(pair, conversation_id):  # noqa: F811
    on_sqlite, on_postgres = _both(pair, lambda s: s.get_conversation_stats(conversation_id))
    assert _typed_value(on_postgres) == _typed_value(on_sqlite)
    raw = _both(pair, lambda s: s.run("conversation_stats", conversation_id=conversation_id))
    assert _typed(raw[1]) == _typed(raw[0])


def test_average_latency_is_one_division_of_the_exact_sum(pair):  # noqa: F811
    """13333, 13333, 13334: avg()::double precision on PostgreSQL rounds twice
    (13333.333333333332), SQLite's avg() once (13333.333333333334)."""
    on_sqlite, on_postgres = _both(pair, lambda s: s.get_conversation_stats(AVERAGED))
    assert on_sqlite["avg_latency_ms"] == on_postgres["avg_latency_ms"] == 40000 / 3
    averages = _both(pair, lambda s: s.run("model_usage", since="2026-10-01", until="2026-12-01"))
    assert averages[0][0]["avg_latency_ms"] == averages[1][0]["avg_latency_ms"] == 40000 / 3


@pytest.mark.parametrize("user_id", USERS)
def test_user_stats_agree(pair, user_id):  # noqa: F811
    on_sqlite, on_postgres = _both(pair, lambda s: s.get_user_stats(user_id))
    assert _typed_value(on_postgres) == _typed_value(on_sqlite)
    raw = _both(pair, lambda s: s.run("user_stats", user_id=user_id))
    assert _typed(raw[1]) == _typed(raw[0])


def test_user_stats_count_what_they_say(pair):  # noqa: F811
    on_sqlite, _ = _both(pair, lambda s: s.get_user_stats(BOB))
    assert on_sqlite["conversations"] == 2  # one of them has no messages
    assert on_sqlite["messages_by_role"] == {"user": 2}
    assert on_sqlite["tokens"] == 2
