"""Citus's versions of PostgreSQL's queries (``sql/citus/*.sql``, run by a
Citus coordinator: :func:`~convstore.sqlfiles.catalog.citus_catalogue`) return,
change and lock what PostgreSQL's do. Each pair runs on plain PostgreSQL,
where the functions of migration pg_0030 exist too, over one tree of branches
(a fork of a fork, a deleted branch, pinned messages, a tool group, a deleted
message's gap, an unreferenced attachment), with the same parameters, each in a transaction
rolled back; a writer's effect is compared too. CI has no Citus: the whole
suite runs on a cluster with CONVSTORE_TEST_CITUS_WORKERS (tests/conftest.py),
where these versions are the ones the store runs.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import convstore
from convstore.db.bare import run_on_connection
from convstore.sqlfiles.catalog import catalogue, citus_catalogue, is_public
from convstore.types import POSTGRES

from .conftest import CITUS_WORKERS

pytestmark = pytest.mark.skipif(
    bool(CITUS_WORKERS),
    reason="compares with PostgreSQL's statements, which a Citus cluster cannot run "
    "(there the whole suite runs Citus's versions through the store)",
)

VERSIONS = sorted(
    name
    for name, query in citus_catalogue().items()
    if is_public(name) and query.path.parent.name == "citus"
)
IMAGE_BYTES = bytes(range(256)) * 8  # stored apart: over attachments.MIN_BYTES
UNREFERENCED_BYTES = IMAGE_BYTES[::-1]
IN_NO_SET_ORDER = ("index_pending_search", "lock_purge_candidates", "purge_conversations")
"""Statements whose rows come in the plan's order (RETURNING, or ties)."""
TOOL_CALL = {"id": "call-1", "type": "function", "function": {"name": "f", "arguments": "{}"}}


@pytest.fixture(scope="module")
def tree(postgres_url: str) -> dict[str, Any]:
    """A root with a gap, a branch of it and a branch of that (and one
    deleted), another root (no branches) holding an image, and an attachment
    nothing references."""
    user = f"user-{uuid.uuid4().hex[:12]}"
    with convstore.connect(postgres_url) as store:
        root = store.create_conversation(user)
        store.add_message(root, "system", "rules", tokens=5, pinned=True)
        store.add_message(root, "user", "question", tokens=10)
        store.add_message(root, "assistant", None, tokens=10, tool_calls=[TOOL_CALL])
        store.add_message(root, "tool", "result", tokens=10, tool_call_id="call-1")
        store.add_message(root, "assistant", "answer", tokens=10)
        store.add_message(root, "user", "unsized")  # tokens: the estimate
        store.add_message(root, "assistant", "remember", tokens=7, pinned=True)
        store.add_message(root, "user", "deleted", tokens=10)
        store.add_message(root, "assistant", "last", tokens=10)
        store.delete_message(root, 8)
        branch = store.fork_conversation(root, 5)
        store.add_message(branch, "user", "other question", tokens=12)
        store.add_message(branch, "assistant", "pinned too", tokens=3, pinned=True)
        store.add_message(branch, "assistant", "other answer", tokens=12)
        twig = store.fork_conversation(branch, 7)
        store.add_message(twig, "user", "third", tokens=4)
        store.add_message(twig, "assistant", "fourth", tokens=4)
        store.set_active_branch(twig)
        store.delete_conversation(store.fork_conversation(root, 9))  # the bound stays 9
        other_root = store.create_conversation(user)
        image = "data:image/png;base64," + base64.b64encode(IMAGE_BYTES).decode()
        store.add_message(other_root, "user", [{"type": "image_url", "image_url": {"url": image}}])
        store.run(
            "store_attachment",
            conversation_id=other_root,
            sha256=hashlib.sha256(UNREFERENCED_BYTES).hexdigest(),
            media_type="image/png",
            data=UNREFERENCED_BYTES,
        )
    return {
        "user": user,
        "conversations": [root, branch, twig, other_root, str(uuid.uuid4())],
        "attachments": [
            {"user_id": user, "sha256": hashlib.sha256(data).hexdigest()}
            for data in (IMAGE_BYTES, UNREFERENCED_BYTES)
        ],
    }


def _each(**choices: list[Any]) -> Iterator[dict[str, Any]]:
    for values in itertools.product(*choices.values()):
        yield dict(zip(choices, values, strict=True))


def _owners(tree: dict[str, Any]) -> list[str | None]:
    return [None, tree["user"], "someone-else"]


CASES: dict[str, Callable[[dict[str, Any]], Iterator[dict[str, Any]]]] = {
    "get_messages": lambda tree: (
        {**each, "limit": limit, "before_seq": before}
        for each in _each(conversation_id=tree["conversations"], user_id=_owners(tree))
        for limit, before in [(None, None), (3, None), (2, 7), (1, 6), (100, 4), (None, 9)]
    ),
    "get_message": lambda tree: _each(
        conversation_id=tree["conversations"],
        user_id=_owners(tree),
        seq=[1, 5, 6, 7, 8, 9, 100],
    ),
    "conversation_messages": lambda tree: _each(
        conversation_id=tree["conversations"], user_id=_owners(tree)
    ),
    "message_fingerprints": lambda tree: _each(
        conversation_id=tree["conversations"], user_id=_owners(tree)
    ),
    "conversation_stats": lambda tree: _each(
        conversation_id=tree["conversations"], user_id=_owners(tree)
    ),
    "recent_context": lambda tree: _each(
        conversation_id=tree["conversations"],
        user_id=_owners(tree),
        max_tokens=[0, 5, 12, 20, 35, 60, 1000],
        keep_tool_groups=[True, False],
    ),
    "fork_point": lambda tree: _each(
        conversation_id=tree["conversations"],
        user_id=_owners(tree),
        at_seq=[0, 1, 3, 5, 6, 7, 8, 9, 100],
    ),
    "get_branch": lambda tree: _each(conversation_id=tree["conversations"], user_id=_owners(tree)),
    "lock_tree_root": lambda tree: _each(
        conversation_id=tree["conversations"], user_id=_owners(tree)
    ),
    "set_active_branch": lambda tree: _each(
        conversation_id=tree["conversations"], user_id=_owners(tree)
    ),
    "shared_seqs": lambda tree: _each(conversation_id=tree["conversations"], user_id=_owners(tree)),
    "lock_user_conversations": lambda tree: _each(user_id=[tree["user"], "someone-else"]),
    # All candidates at once: the run's other conversations, which tie on
    # updated_at, would make a smaller batch any of them.
    "lock_purge_candidates": lambda tree: _each(
        cutoff=["2999-01-01T00:00:00+00:00", "2000-01-01T00:00:00+00:00"],
        batch_size=[1_000_000, None],
    ),
    "purge_conversations": lambda tree: _each(  # as lock_purge_candidates
        cutoff=["2999-01-01T00:00:00+00:00", "2000-01-01T00:00:00+00:00"],
        batch_size=[1_000_000, None],
    ),
    "lock_unreferenced_attachments": lambda tree: _each(
        user_ids=[json.dumps([tree["user"]]), json.dumps(["someone-else"])],
        user_id=_owners(tree),
    ),
    "delete_unreferenced_attachments": lambda tree: _each(
        unreferenced=[json.dumps(tree["attachments"])], user_id=_owners(tree)
    ),
    "index_pending_search": lambda tree: _each(
        user_id=[tree["user"]], limit=[1000], max_bytes=[1_000_000]
    ),
}


def _effect(connection: psycopg.Connection, observer: psycopg.Connection, user: str) -> list[Any]:
    """What a writer can change of the user's rows, and which of the user's
    conversations and attachments the statement locked (those ``observer``,
    another session, cannot lock)."""
    locked = []
    for table, key in (("conversations", "id"), ("attachments", "sha256")):
        rows = f"SELECT {key} FROM {table} WHERE user_id = %s"
        every = observer.execute(rows, (user,)).fetchall()
        free = observer.execute(f"{rows} FOR UPDATE SKIP LOCKED", (user,)).fetchall()
        locked.append(sorted(set(every) - set(free)))
    return [
        *locked,
        connection.execute(
            "SELECT id, active_branch_id, last_seq, message_count, total_tokens, pinned_tokens"
            "  FROM conversations WHERE user_id = %s ORDER BY id",
            (user,),
        ).fetchall(),
        connection.execute(
            "SELECT sha256 FROM attachments WHERE user_id = %s ORDER BY sha256", (user,)
        ).fetchall(),
        connection.execute(
            "SELECT conversation_id, seq FROM messages"
            " WHERE user_id = %s AND search_vector IS NULL ORDER BY 1, 2",
            (user,),
        ).fetchall(),
    ]


def _outcome(connection, observer, name: str, params: dict[str, Any], user: str):
    try:
        rows = run_on_connection(connection, catalogue(POSTGRES)[name], **params)
        postgres = (rows, _effect(connection, observer, user))
        connection.rollback()
        rows = run_on_connection(connection, citus_catalogue()[name], **params)
        citus = (rows, _effect(connection, observer, user))
    finally:
        connection.rollback()
    if name in IN_NO_SET_ORDER:
        postgres[0].sort(key=repr)
        citus[0].sort(key=repr)
    return postgres, citus


def test_every_citus_version_is_compared():
    assert set(CASES) == set(VERSIONS)


@pytest.mark.parametrize("name", VERSIONS)
def test_citus_version_returns_changes_and_locks_what_postgresql_does(name, tree, postgres_url):
    with (
        psycopg.connect(postgres_url) as connection,
        psycopg.connect(postgres_url, autocommit=True) as observer,
    ):
        for params in CASES[name](tree):
            postgres, citus = _outcome(connection, observer, name, params, tree["user"])
            assert citus == postgres, params
