"""The token-budget context reads only the rows it returns, not the whole
conversation: checked in each database's own plan output."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

import convstore

MESSAGES = 6000
BUDGET = 1000  # about 10 messages of 100 tokens


def _other_users_prompts(store, user):
    """Other conversations, each with a pinned system prompt, as a store in
    use has: with them in its statistics, a planner that reads every pinned
    message (or builds a Bloom filter from the table) loses."""
    with store.transaction():
        for _ in range(PINNED_ELSEWHERE):
            conversation_id = store.create_conversation(f"{user}-other")
            store.add_message(conversation_id, "system", "be brief", tokens=3, pinned=True)


PINNED_ELSEWHERE = 300


@pytest.fixture
def long_conversation(database_url, user):
    with convstore.connect(database_url) as store:
        _other_users_prompts(store, user)
        conversation_id = store.create_conversation(user)
        batch = [
            {
                "role": ("user", "assistant", "tool")[i % 3],
                "content": "x",
                "tokens": 100,
                "tool_call_id": "call" if i % 3 == 2 else None,
                "pinned": i == 0,
            }
            for i in range(MESSAGES)
        ]
        store.add_messages(conversation_id, batch)
        query = store.database.queries["recent_context"]
    params = {
        "conversation_id": conversation_id,
        "max_tokens": BUDGET,
        "keep_tool_groups": True,
        "user_id": user,
    }
    return database_url, query, params


@pytest.fixture
def deep_branch(database_url, user):
    """A branch three forks deep whose context reaches back through every
    ancestor: the root's 6,000 messages, forked at 3,000, 3,050 and 3,100,
    each branch adding 60 messages of its own."""
    with convstore.connect(database_url) as store:
        _other_users_prompts(store, user)
        conversation_id = store.create_conversation(user)
        store.add_messages(
            conversation_id,
            [{"role": "user", "content": "x", "tokens": 100} for _ in range(MESSAGES)],
        )
        for fork_seq in (MESSAGES // 2, MESSAGES // 2 + 50, MESSAGES // 2 + 100):
            conversation_id = store.fork_conversation(conversation_id, fork_seq)
            store.add_messages(
                conversation_id, [{"role": "user", "content": "x", "tokens": 100}] * 60
            )
        query = store.database.queries["recent_context"]
    params = {
        "conversation_id": conversation_id,
        "max_tokens": 20_000,  # 200 messages: the branch's 60 and the rest from each ancestor
        "keep_tool_groups": True,
        "user_id": user,
    }
    return database_url, query, params


def _postgres_rows_read(plan: dict, relation: str = "messages") -> int:
    """Rows the plan's nodes on ``relation`` produced or threw away."""
    read = 0
    if plan.get("Relation Name") == relation:
        loops = plan.get("Actual Loops", 1)
        removed = plan.get("Rows Removed by Filter", 0) + plan.get(
            "Rows Removed by Index Recheck", 0
        )
        read += (plan["Actual Rows"] + removed) * loops
    for child in plan.get("Plans", []):
        read += _postgres_rows_read(child, relation)
    return read


@pytest.mark.parametrize("history", ["long_conversation", "deep_branch"])
def test_context_plan_reads_only_the_returned_rows(request, database_url, history):
    url, query, params = request.getfixturevalue(history)
    budget = params["max_tokens"]
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            connection.execute("ANALYZE")  # the plan SQLite picks with statistics, as in use
            steps = connection.execute("EXPLAIN QUERY PLAN " + query.statement, params).fetchall()
            returned = len(connection.execute(query.statement, params).fetchall())
        finally:
            connection.close()
        details = [detail for _, _, _, detail in steps]
        assert not [d for d in details if d.startswith(("SCAN m", "SCAN messages"))], details
        # A Bloom filter on messages is built by reading the whole table.
        assert not [d for d in details if "BLOOM FILTER ON m" in d], details
        assert any("USING INDEX messages_context_start" in d for d in details), details
        assert any(
            "INDEX sqlite_autoindex_messages_1 (conversation_id=? AND seq>? AND seq<?)" in d
            for d in details
        ), details
        assert any("USING INDEX messages_pinned" in d for d in details), details
    else:
        with psycopg.connect(url) as connection:
            connection.execute("ANALYZE messages")
            (plan,) = connection.execute(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + query.statement, params
            ).fetchone()[0]
            returned = len(connection.execute(query.statement, params).fetchall())
        read = _postgres_rows_read(plan["Plan"])
        assert read <= returned + 5, (read, returned, plan)
    assert budget // 200 <= returned <= budget // 100 + 1


def _sqlite_work(connection: sqlite3.Connection, statement: str, params: dict) -> int:
    """How many hundreds of virtual-machine instructions SQLite runs for ``statement``."""
    ticks: list[int] = []
    connection.set_progress_handler(lambda: ticks.append(1), 100)  # None: go on
    try:
        connection.execute(statement, params).fetchall()
    finally:
        connection.set_progress_handler(None, 100)
    return len(ticks)


def test_a_users_view_lists_its_user_from_its_own_conversations(database_url, user):
    """list_users for one user (a view's) reads that user's conversations by
    the index, never every user's (the UNION's other branch is skipped)."""
    with convstore.connect(database_url) as store:
        with store.transaction():
            for n in range(2000):
                store.create_conversation(f"{user}-other-{n % 200}")
            for _ in range(3):
                store.create_conversation(user)
        query = store.database.queries["list_users"]
    one_user, every_user = {"user_id": user, "limit": 20}, {"user_id": None, "limit": 20}
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            connection.execute("ANALYZE")
            steps = connection.execute("EXPLAIN QUERY PLAN " + query.statement, one_user)
            details = [detail for _, _, _, detail in steps]
            work = {
                name: _sqlite_work(connection, query.statement, params)
                for name, params in (("one", one_user), ("every", every_user))
            }
        finally:
            connection.close()
        assert any(
            "SEARCH conversations USING INDEX conversations_user_activity (user_id=?)" in d
            for d in details
        ), details
        assert work["one"] * 50 < work["every"], work
    else:
        with psycopg.connect(database_url) as connection:
            connection.execute("ANALYZE conversations")
            (plan,) = connection.execute(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + query.statement, one_user
            ).fetchone()[0]
        assert _postgres_rows_read(plan["Plan"], "conversations") == 3, plan
