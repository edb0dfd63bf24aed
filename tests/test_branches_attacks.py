"""Attacks on branches (fork_conversation, edit_message, regenerate and the
rest), on SQLite and PostgreSQL: concurrent appends to one branch, forks
racing appends, edits, deletions, purges and erasures of what they fork,
overlapping deletions of subtrees, forks at every kind of seq, hostile
arguments, another user's view, deep chains and wide trees.

Races whose interleaving matters are forced: one side runs inside a held
transaction, and the other is let go only once it waits for that
transaction's locks (on PostgreSQL, read from ``pg_blocking_pids``; SQLite
admits one writer at a time, so there the other side waits for the file's
write lock and the outcome must be the same)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

import convstore
from convstore import (
    BranchConflict,
    ConversationExists,
    ConvstoreError,
    InvalidInput,
    NotFound,
)
from convstore.sqlfiles.parser import load_query

from .conftest import postgres_test_statement
from .test_recent_context_property import Stored, _budgets_worth_trying, reference_context

TEST_SQL = Path(__file__).parent / "sql"
BLOCKED_BY = postgres_test_statement("blocked_by")
WAITING = postgres_test_statement("waiting_for_locks")
WAIT = 30.0
"""Seconds a test waits for a state it forces before it fails."""
HUGE = 2**31 - 1
"""A token budget every conversation here fits in."""
OLD = "2001-01-01T00:00:00+00:00"


# -- helpers ---------------------------------------------------------------------------


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {WAIT}s"
        time.sleep(0.005)


def _blocked_by(url: str, pid: int) -> bool:
    with psycopg.connect(url, autocommit=True) as connection:
        return bool(connection.execute(BLOCKED_BY.statement, {"pid": pid}).fetchall())


def _outcome(future: Future) -> tuple[str, Any]:
    """("ok", value) or ("error", exception) of a finished call."""
    error = future.exception(timeout=WAIT)
    if error is not None:
        return "error", error
    return "ok", future.result()


@contextmanager
def _held(holder, url: str) -> Iterator[Callable[[Future], bool]]:
    """A transaction of ``holder`` held open for the block; the block gets a
    function that waits until a call started in another thread waits for
    this transaction (PostgreSQL: it is blocked by its session; SQLite: it
    has had time to reach the write lock) and says whether it does."""
    with holder.transaction(), holder.connection() as connection:

        def wait_for(future: Future) -> bool:
            if holder.dialect == "postgres":
                pid = connection.info.backend_pid
                _wait_until(lambda: future.done() or _blocked_by(url, pid), "blocked or done")
            else:
                time.sleep(0.3)
            return not future.done()

        yield wait_for


def _messages(count: int, prefix: str = "m", first: int = 1) -> list[dict[str, Any]]:
    """Messages of varied roles and tokens (unknown ones too), none pinned
    but the first of a conversation (a system prompt)."""
    made = []
    for n in range(first, first + count):
        made.append(
            {
                "role": "system" if n == 1 else ("user" if n % 2 else "assistant"),
                "content": f"{prefix}{n}",
                "tokens": None if n % 5 == 0 else (n * 7) % 23,
                "pinned": n == 1,
            }
        )
    return made


def _root(store, user: str, count: int, **options: Any) -> str:
    conversation_id = store.create_conversation(user, **options)
    if count:
        store.add_messages(conversation_id, _messages(count))
    return conversation_id


def _counted(message: dict[str, Any]) -> int:
    return 100 if message["tokens"] is None else message["tokens"]


def _rows(messages: list[dict[str, Any]]) -> list[tuple]:
    return [
        (
            m["seq"],
            m["role"],
            m["content"],
            m["tokens"],
            m["pinned"],
            m["idempotency_key"],
            m["tokens_estimated"],
        )
        for m in messages
    ]


def _snapshot(store, conversation_id: str) -> tuple:
    """What a conversation shows: its messages, its counters, and its
    context at a budget that holds everything and at a few that cut it."""
    messages = store.get_messages(conversation_id, limit=None)
    total = sum(_counted(m) for m in messages)
    contexts = [
        [(m["seq"], m["suffix_tokens"]) for m in store.get_recent_context(conversation_id, budget)]
        for budget in (HUGE, total // 2, total // 3, 0)
    ]
    conversation = store.get_conversation(conversation_id)
    return (
        _rows(messages),
        conversation["message_count"] if conversation else None,
        contexts,
    )


def _check_reads(
    store, conversation_id: str, expected: list[tuple], *, budgets: int | None = 24
) -> None:
    """Every read of ``conversation_id`` shows exactly ``expected`` (rows as
    :func:`_rows` makes them) as one whole conversation."""
    messages = store.get_messages(conversation_id, limit=None)
    assert _rows(messages) == expected
    assert {m["conversation_id"] for m in messages} <= {conversation_id}
    whole = store.get_conversation(conversation_id)
    assert whole is not None
    assert _rows(whole["messages"]) == expected
    assert whole["message_count"] == len(expected)

    pages, before = [], None
    while page := store.get_messages(conversation_id, limit=3, before_seq=before):
        pages = page + pages
        before = page[0]["seq"]
    assert _rows(pages) == expected
    for row in expected[:3] + expected[-3:]:
        single = store.get_message(conversation_id, row[0])
        assert single is not None and _rows([single]) == [row]
        assert single["conversation_id"] == conversation_id
    assert [f["seq"] for f in store.get_message_fingerprints(conversation_id)] == [
        row[0] for row in expected
    ]
    stats = store.get_conversation_stats(conversation_id)
    assert stats["message_count"] == len(expected)
    assert stats["total_tokens"] == sum(row[3] or 0 for row in expected if not row[6])

    everything = store.get_recent_context(conversation_id, max_tokens=HUGE)
    assert [m["seq"] for m in everything] == [row[0] for row in expected]
    if everything:
        assert everything[0]["suffix_tokens"] == sum(
            100 if row[3] is None else row[3] for row in expected
        )
    model = [Stored(row[0], row[1], row[3], row[4]) for row in expected]
    tried = sorted(_budgets_worth_trying(model, []))
    if budgets is not None and len(tried) > budgets:
        tried = random.Random(len(tried)).sample(tried, budgets)
    for max_tokens in tried:
        for keep_tool_groups in (True, False):
            context = store.get_recent_context(conversation_id, max_tokens, keep_tool_groups)
            assert [m["seq"] for m in context] == reference_context(
                model, max_tokens, keep_tool_groups
            ), (conversation_id, max_tokens, keep_tool_groups)


def _no_orphans(store, user: str) -> list[dict[str, Any]]:
    """Every conversation of ``user``: each branch's parent exists, and each
    reads as a tree member; returns them."""
    conversations = store.list_conversations(user, limit=100_000)
    ids = {c["id"] for c in conversations}
    for conversation in conversations:
        place = store.get_branch(conversation["id"])
        assert place is not None
        if conversation["parent_id"] is not None:
            assert conversation["parent_id"] in ids, f"orphan branch {conversation['id']}"
            assert place["root_id"] in ids
        store.get_messages(conversation["id"], limit=None)
    return conversations


def _tree_ids(store, conversation_id: str) -> list[str]:
    return [b["conversation_id"] for b in store.get_conversation_tree(conversation_id)]


@pytest.fixture(params=["sqlite", "postgres"])
def own_url(request, scratch_databases, sqlite_url) -> str:
    """A migrated database of the test's own (a purge spans every user)."""
    url = sqlite_url if request.param == "sqlite" else scratch_databases.create()
    convstore.migrate(url)
    return url


# -- concurrent appends to one branch ----------------------------------------------------


def test_concurrent_appends_to_one_branch_are_gapless_with_exact_totals(open_store, user):
    """Eight writers append to one branch (single messages and batches, some
    with unknown tokens, some pinned) while two more append to its parent:
    the branch's seqs continue gapless after its fork point, every message
    is there exactly once, and its counters and running totals are exact."""
    store = open_store(max_size=12)
    root = _root(store, user, 6)
    branch = store.fork_conversation(root, 4)
    parent_before = store.get_messages(root, limit=None)
    writers, rounds = 8, 6
    start = threading.Barrier(writers + 2)

    def append_to_branch(writer: int) -> list[dict[str, Any]]:
        start.wait()
        stored = []
        for n in range(rounds):
            tokens = None if (writer + n) % 7 == 0 else writer * 13 + n
            if n % 2:
                stored.append(
                    store.add_message(
                        branch,
                        "user",
                        f"w{writer}-{n}",
                        tokens=tokens,
                        pinned=(writer == 3 and n == 1),
                    )
                )
            else:
                stored.extend(
                    store.add_messages(
                        branch,
                        [
                            {"role": "assistant", "content": f"w{writer}-{n}a", "tokens": tokens},
                            {"role": "user", "content": f"w{writer}-{n}b", "tokens": n},
                        ],
                    )
                )
        return stored

    def append_to_parent(writer: int) -> list[dict[str, Any]]:
        start.wait()
        return [store.add_message(root, "user", f"p{writer}-{n}", tokens=n) for n in range(rounds)]

    with ThreadPoolExecutor(writers + 2) as pool:
        branch_appends = [pool.submit(append_to_branch, w) for w in range(writers)]
        parent_appends = [pool.submit(append_to_parent, w) for w in range(2)]
        appended = [m for future in branch_appends for m in future.result(timeout=120)]
        parent_appended = [m for future in parent_appends for m in future.result(timeout=120)]

    expected_own = writers * rounds * 3 // 2
    assert len(appended) == expected_own
    messages = store.get_messages(branch, limit=None)
    assert [m["seq"] for m in messages] == list(range(1, 4 + expected_own + 1))
    assert sorted(m["content"] for m in messages[4:]) == sorted(m["content"] for m in appended)
    assert _rows(messages[:4]) == _rows(parent_before[:4])
    by_content = {m["content"]: m["seq"] for m in messages}
    assert all(by_content[m["content"]] == m["seq"] for m in appended)

    total_counted = sum(_counted(m) for m in messages)
    context = store.get_recent_context(branch, max_tokens=HUGE)
    assert len(context) == len(messages)
    assert context[0]["suffix_tokens"] == total_counted
    assert store.get_conversation(branch)["message_count"] == 4 + expected_own
    assert store.get_conversation_stats(branch)["total_tokens"] == sum(
        m["tokens"] or 0 for m in messages if not m["tokens_estimated"]
    )
    _check_reads(store, branch, _rows(messages), budgets=40)

    parent = store.get_messages(root, limit=None)
    assert [m["seq"] for m in parent] == list(range(1, 6 + 2 * rounds + 1))
    assert sorted(m["content"] for m in parent[6:]) == sorted(m["content"] for m in parent_appended)
    _check_reads(store, root, _rows(parent), budgets=20)


# -- forks racing appends and edits of what they fork -------------------------------------


def test_forks_of_a_branch_racing_its_appends_share_exactly_what_they_saw(open_store, user):
    """Writers append to a branch while others fork it at random seqs (in
    its inherited part, at its fork point, among its own messages, at its
    newest): each fork shows exactly the branch's history through its fork
    seq, read right after the fork and again at the end."""
    store = open_store(max_size=10)
    root = _root(store, user, 8)
    branch = store.fork_conversation(root, 5)
    store.add_messages(branch, _messages(3, prefix="b", first=6))
    stop = threading.Event()
    forks: list[tuple[str, int, tuple]] = []
    failures: list[BaseException] = []

    def append(writer: int) -> None:
        n = 0
        while not stop.is_set() and n < 40:
            store.add_message(branch, "user", f"a{writer}-{n}", tokens=(n * 3) % 11)
            n += 1

    def fork(forker: int) -> None:
        rng = random.Random(forker)
        try:
            for _ in range(8):
                newest = store.get_messages(branch, limit=1)[-1]["seq"]
                at_seq = rng.choice([0, 3, 5, 6, newest, rng.randint(0, newest)])
                made = store.fork_conversation(branch, at_seq)
                forks.append((made, at_seq, _snapshot(store, made)))
        except BaseException as error:  # noqa: BLE001 -- reported below
            failures.append(error)

    with ThreadPoolExecutor(7) as pool:
        appenders = [pool.submit(append, w) for w in range(3)]
        forkers = [pool.submit(fork, f) for f in range(4)]
        for future in forkers:
            future.result(timeout=120)
        stop.set()
        for future in appenders:
            future.result(timeout=120)

    assert not failures, failures
    history = store.get_messages(branch, limit=None)
    assert [m["seq"] for m in history] == list(range(1, len(history) + 1))
    for made, at_seq, seen in forks:
        assert _snapshot(store, made) == seen, (made, at_seq)
        shared = [m for m in history if m["seq"] <= at_seq]
        assert seen[0] == _rows(shared), (made, at_seq)
        assert seen[1] == len(shared)
        assert store.get_branch(made)["parent_id"] == branch
    assert len(store.list_branches(branch)) == len(forks)
    _check_reads(store, branch, _rows(history), budgets=20)


EDITS: dict[str, Callable[[Any, str, int], Any]] = {
    "pop_message": lambda store, cid, seq: store.pop_message(cid),
    "delete_messages_after": lambda store, cid, seq: store.delete_messages(cid, seq - 1),
    "delete_messages_seqs": lambda store, cid, seq: store.delete_messages(cid, seqs=[seq]),
    "delete_message": lambda store, cid, seq: store.delete_message(cid, seq),
    "replace_message": lambda store, cid, seq: store.replace_message(
        cid, seq, {"role": "user", "content": "rewritten", "tokens": 999}
    ),
    "set_message_tokens": lambda store, cid, seq: store.set_message_tokens(cid, seq, 555),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edit_of_the_parent_waiting_for_a_fork_is_refused(open_store, database_url, user, edit):
    """A fork of the conversation at its newest seq holds its transaction
    open; an edit of that newest message waits for it. Once the fork
    commits, the message is shared: the edit must raise BranchConflict, and
    the branch must show what it showed right after the fork."""
    holder, editor = open_store(), open_store()
    root = _root(holder, user, 6)
    target = 6
    with ThreadPoolExecutor(1) as pool:
        with _held(holder, database_url) as wait_for:
            branch = holder.fork_conversation(root, target)
            future = pool.submit(EDITS[edit], editor, root, target)
            blocked = wait_for(future)
        kind, value = _outcome(future)

    assert blocked, f"{edit} did not wait for the fork ({kind}: {value!r})"
    assert kind == "error" and isinstance(value, BranchConflict), (kind, value)
    expected = _rows(holder.get_messages(root, limit=None))
    assert len(expected) == 6
    _check_reads(holder, branch, expected)
    _check_reads(holder, root, expected)


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_fork_waiting_for_an_edit_of_its_parent_sees_the_edit(
    open_store, database_url, user, edit
):
    """The reverse order: the edit of message 6 holds its transaction open
    and a fork at seq 6 waits for it. The fork must then show the edited
    history, and keep showing it."""
    holder, forker = open_store(), open_store()
    root = _root(holder, user, 6)
    with ThreadPoolExecutor(1) as pool:
        with _held(holder, database_url) as wait_for:
            EDITS[edit](holder, root, 6)
            future = pool.submit(forker.fork_conversation, root, 6)
            blocked = wait_for(future)
        kind, branch = _outcome(future)

    assert blocked, f"the fork did not wait for {edit} ({kind}: {branch!r})"
    assert kind == "ok", branch
    expected = _rows(holder.get_messages(root, limit=None))
    seen = _snapshot(holder, branch)
    assert seen[0] == expected
    _check_reads(holder, branch, expected)
    added = holder.add_message(branch, "user", "after", tokens=1)
    assert added["seq"] == 7
    _check_reads(holder, branch, [*expected, *_rows([added])])
    for change in EDITS.values():
        if expected:
            with pytest.raises(BranchConflict):
                change(holder, root, expected[-1][0])
    assert _rows(holder.get_messages(root, limit=None)) == expected


def test_forks_racing_every_edit_of_the_parent_never_see_history_change(open_store, user):
    """Free-running: forkers fork a conversation at random seqs while
    others pop, delete, replace and re-count its messages and append new
    ones. Every edit either lands before a fork (which then shows it) or is
    refused with BranchConflict; no branch's history ever changes after its
    fork, and every branch's shared part is still its parent's."""
    store = open_store(max_size=12)
    root = _root(store, user, 30)
    stop = threading.Event()
    forks: list[tuple[str, int, tuple]] = []
    failures: list[BaseException] = []
    refused = {name: 0 for name in EDITS}

    def newest() -> int:
        page = store.get_messages(root, limit=1)
        return page[-1]["seq"] if page else 0

    def fork(forker: int) -> None:
        rng = random.Random(100 + forker)
        try:
            for _ in range(10):
                top = newest()
                at_seq = rng.choice([top, top, rng.randint(0, top)])
                made = store.fork_conversation(root, at_seq)
                forks.append((made, at_seq, _snapshot(store, made)))
        except BaseException as error:  # noqa: BLE001 -- reported below
            failures.append(error)

    def edit(editor: int) -> None:
        rng = random.Random(200 + editor)
        names = sorted(EDITS)
        try:
            while not stop.is_set():
                name = names[(editor + rng.randint(0, 99)) % len(names)]
                top = newest()
                if not top:
                    continue
                seq = rng.choice([top, top, max(1, top - rng.randint(0, 3))])
                try:
                    EDITS[name](store, root, seq)
                except BranchConflict:
                    refused[name] += 1
                except NotFound:
                    if name not in ("replace_message", "set_message_tokens"):
                        raise
        except BaseException as error:  # noqa: BLE001 -- reported below
            failures.append(error)

    def append() -> None:
        n = 0
        while not stop.is_set():
            store.add_message(root, "assistant", f"late{n}", tokens=n % 9)
            n += 1
            time.sleep(0.002)

    with ThreadPoolExecutor(9) as pool:
        forkers = [pool.submit(fork, f) for f in range(3)]
        others = [pool.submit(edit, e) for e in range(5)] + [pool.submit(append)]
        for future in forkers:
            future.result(timeout=180)
        stop.set()
        for future in others:
            future.result(timeout=180)

    assert not failures, failures
    assert sum(refused.values()) > 0
    history = store.get_messages(root, limit=None)
    for made, at_seq, seen in forks:
        assert _snapshot(store, made) == seen, (made, at_seq)
        assert seen[0] == _rows([m for m in history if m["seq"] <= at_seq]), (made, at_seq)
    _check_reads(store, root, _rows(history), budgets=30)
    _no_orphans(store, user)


# -- forks racing deletions ----------------------------------------------------------------


@pytest.mark.parametrize("with_branches", [False, True])
def test_a_delete_of_the_parent_waiting_for_a_fork(open_store, database_url, user, with_branches):
    """A fork holds its transaction open; the deletion of its parent waits.
    Without with_branches the deletion must then be refused (BranchConflict)
    and the branch read as before; with it, the new branch goes too."""
    holder, deleter = open_store(), open_store()
    root = _root(holder, user, 5)
    with ThreadPoolExecutor(1) as pool:
        with _held(holder, database_url) as wait_for:
            branch = holder.fork_conversation(root, 3)
            seen = _snapshot(holder, branch)
            future = pool.submit(deleter.delete_conversation, root, with_branches=with_branches)
            blocked = wait_for(future)
        kind, value = _outcome(future)

    assert blocked, f"the deletion did not wait for the fork ({kind}: {value!r})"
    if with_branches:
        assert (kind, value) == ("ok", True)
        assert holder.get_conversation(root) is None
        assert holder.get_conversation(branch) is None
        assert holder.get_user_stats(user)["messages"] == 0
    else:
        assert kind == "error" and isinstance(value, BranchConflict), (kind, value)
        assert _snapshot(holder, branch) == seen
        assert _tree_ids(holder, root) == [root, branch]
    _no_orphans(holder, user)


@pytest.mark.parametrize("with_branches", [False, True])
def test_a_fork_waiting_for_the_deletion_of_its_parent_finds_nothing(
    open_store, database_url, user, with_branches
):
    """The deletion holds its transaction open; the fork waits and must then
    raise NotFound, leaving no branch behind."""
    holder, forker = open_store(), open_store()
    root = _root(holder, user, 5)
    with ThreadPoolExecutor(1) as pool:
        with _held(holder, database_url) as wait_for:
            assert holder.delete_conversation(root, with_branches=with_branches)
            future = pool.submit(forker.fork_conversation, root, 3)
            blocked = wait_for(future)
        kind, value = _outcome(future)

    assert blocked, f"the fork did not wait for the deletion ({kind}: {value!r})"
    assert kind == "error" and isinstance(value, NotFound), (kind, value)
    assert _no_orphans(holder, user) == []
    assert holder.get_user_stats(user)["messages"] == 0


def test_a_tree_deletion_waiting_for_a_fork_deep_in_the_tree_deletes_it_too(
    open_store, database_url, user
):
    """root -> child; a fork of the child (not of the root) holds its
    transaction open while delete_conversation(root, with_branches=True)
    runs. The deletion locks the root, not the child, so it cannot refuse
    on the child's behalf: once the fork commits, the deletion must delete
    the whole tree, the new branch included (or the fork must fail with
    NotFound). Never an error of the deletion, never an orphan."""
    holder, deleter = open_store(), open_store()
    root = _root(holder, user, 5)
    child = holder.fork_conversation(root, 3)
    holder.add_messages(child, _messages(2, prefix="c", first=4))
    with ThreadPoolExecutor(1) as pool:
        with _held(holder, database_url) as wait_for:
            grandchild = holder.fork_conversation(child, 4)
            future = pool.submit(deleter.delete_conversation, root, with_branches=True)
            blocked = wait_for(future)
        kind, value = _outcome(future)

    assert blocked, f"the deletion did not wait for the fork ({kind}: {value!r})"
    assert (kind, value) == ("ok", True), (kind, value)
    for gone in (root, child, grandchild):
        assert holder.get_conversation(gone) is None
    assert _no_orphans(holder, user) == []
    assert holder.get_user_stats(user)["messages"] == 0


def test_a_tree_deletion_waiting_for_an_append_to_a_branch_deletes_it(
    open_store, database_url, user
):
    """An append to a grandchild holds its transaction open while the tree
    is deleted from its root: the deletion must wait, then delete
    everything, the appended message included."""
    holder, deleter = open_store(), open_store()
    root = _root(holder, user, 4)
    child = holder.fork_conversation(root, 3)
    grandchild = holder.fork_conversation(child, 2)
    with ThreadPoolExecutor(1) as pool:
        with _held(holder, database_url) as wait_for:
            holder.add_message(grandchild, "user", "appended meanwhile", tokens=3)
            future = pool.submit(deleter.delete_conversation, root, with_branches=True)
            blocked = wait_for(future)
        kind, value = _outcome(future)

    assert blocked, f"the deletion did not wait for the append ({kind}: {value!r})"
    assert (kind, value) == ("ok", True), (kind, value)
    assert _no_orphans(holder, user) == []
    assert holder.get_user_stats(user)["messages"] == 0


def test_a_fork_deep_in_a_tree_waiting_for_its_deletion_finds_nothing(
    open_store, database_url, user
):
    """The reverse order: the tree's deletion holds its transaction open; a
    fork of the child waits and must raise NotFound."""
    holder, forker = open_store(), open_store()
    root = _root(holder, user, 5)
    child = holder.fork_conversation(root, 3)
    with ThreadPoolExecutor(1) as pool:
        with _held(holder, database_url) as wait_for:
            assert holder.delete_conversation(root, with_branches=True)
            future = pool.submit(forker.fork_conversation, child, 2)
            blocked = wait_for(future)
        kind, value = _outcome(future)

    assert blocked, f"the fork did not wait for the deletion ({kind}: {value!r})"
    assert kind == "error" and isinstance(value, NotFound), (kind, value)
    assert _no_orphans(holder, user) == []


def test_forks_and_appends_racing_a_tree_deletion_leave_nothing_behind(open_store, user):
    """Free-running: threads fork and append to every member of a tree
    while another deletes it with its branches. Each call either lands
    before the deletion (and is deleted with the tree) or fails with
    NotFound; afterwards no conversation, branch or message of the tree
    is left."""
    store = open_store(max_size=10)
    for round_number in range(4):
        root = _root(store, user, 6)
        members = [root]
        for n in range(5):
            members.append(store.fork_conversation(members[n // 2], 2))
        start = threading.Barrier(5)
        errors: list[BaseException] = []

        def work(worker: int, members: list[str] = members, start=start, errors=errors) -> None:
            rng = random.Random(worker * 31 + len(members))
            start.wait()
            for _ in range(10):
                target = rng.choice(members)
                try:
                    if rng.random() < 0.5:
                        store.fork_conversation(target, rng.randint(0, 2))
                    else:
                        store.add_message(target, "user", "racing", tokens=1)
                except NotFound:
                    pass
                except BaseException as error:  # noqa: BLE001 -- reported below
                    errors.append(error)

        def delete(root: str = root, start=start) -> bool:
            start.wait()
            time.sleep(0.005)
            return store.delete_conversation(root, with_branches=True)

        with ThreadPoolExecutor(5) as pool:
            workers = [pool.submit(work, w) for w in range(4)]
            deletion = pool.submit(delete)
            for future in workers:
                future.result(timeout=120)
            kind, value = _outcome(deletion)

        assert (kind, value) == ("ok", True), (round_number, kind, value)
        assert not errors, errors
        assert _no_orphans(store, user) == [], round_number
        assert store.get_user_stats(user)["messages"] == 0


def test_overlapping_subtree_deletions_both_succeed(own_url):
    """Two deletions with their branches whose subtrees overlap: of a root,
    and of its child (whose subtree is inside the root's). Forced into
    opposite lock orders: the child's row is rewritten (an append) so that
    its newest version lies after its branches' rows, and the child's
    deletion is held (by its tracer) after it locked the child and before
    its DELETE statement, until the root's deletion, which deletes rows in
    the table's order, has deleted the child's branches and waits for the
    child. Both calls must then succeed (the second finds its subtree gone
    or deletes it), and the whole tree must be gone."""
    with convstore.connect(own_url) as first, convstore.connect(own_url) as second:
        root = _root(first, "deleter", 3)
        child = first.fork_conversation(root, 2)
        grandchild = first.fork_conversation(child, 1)
        great_grandchild = first.fork_conversation(grandchild, 1)
        first.add_message(child, "user", "rewrites the child's row")
        keep = _root(first, "deleter", 2)
        kept = _snapshot(first, keep)
        child_locked = threading.Event()

        def hold_before_the_delete(statement: str, params: object) -> None:
            if "delete_conversation_tree.sql" not in statement or child_locked.is_set():
                return
            child_locked.set()
            if second.dialect == "postgres":
                _wait_until(lambda: _waiting(own_url) >= 1, "the root's deletion waiting")
            else:
                time.sleep(0.3)

        def delete_root() -> bool:
            _wait_until(child_locked.is_set, "the child locked")
            return first.delete_conversation(root, with_branches=True)

        with second.tracer(hold_before_the_delete), ThreadPoolExecutor(2) as pool:
            deleting_root = pool.submit(delete_root)
            deleting_child = pool.submit(second.delete_conversation, child, with_branches=True)
            outcomes = [_outcome(deleting_root), _outcome(deleting_child)]

        assert outcomes[0] == ("ok", True), outcomes
        assert outcomes[1][0] == "ok", outcomes
        for gone in (root, child, grandchild, great_grandchild):
            assert first.get_conversation(gone) is None
        assert _snapshot(first, keep) == kept
        assert [c["id"] for c in _no_orphans(first, "deleter")] == [keep]


def _waiting(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as observer:
        return len(observer.execute(WAITING.statement).fetchall())


def test_a_subtree_deletion_waiting_for_another_overlapping_one(open_store, database_url, user):
    """Forced: the deletion of a child's subtree holds its transaction open;
    the deletion of the whole tree waits for it, then must succeed."""
    holder, deleter = open_store(), open_store()
    root = _root(holder, user, 5)
    child = holder.fork_conversation(root, 3)
    grandchild = holder.fork_conversation(child, 2)
    other = holder.fork_conversation(root, 1)
    with ThreadPoolExecutor(1) as pool:
        with _held(holder, database_url) as wait_for:
            assert holder.delete_conversation(child, with_branches=True)
            future = pool.submit(deleter.delete_conversation, root, with_branches=True)
            blocked = wait_for(future)
        kind, value = _outcome(future)

    assert (kind, value) == ("ok", True), (blocked, kind, value)
    for gone in (root, child, grandchild, other):
        assert holder.get_conversation(gone) is None
    assert _no_orphans(holder, user) == []


def test_user_erasure_waiting_for_a_fork_erases_the_new_branch_too(open_store, database_url, user):
    """A fork holds its transaction open while the user's data is erased.
    Once the fork commits, the erasure must erase everything, the new branch
    included, and count what each conversation stored; it must not fail."""
    holder, eraser = open_store(), open_store()
    root = _root(holder, user, 5)
    with ThreadPoolExecutor(1) as pool:
        with _held(holder, database_url) as wait_for:
            branch = holder.fork_conversation(root, 3)
            holder.add_message(branch, "user", "own")
            future = pool.submit(eraser.delete_user_data, user)
            blocked = wait_for(future)
        kind, value = _outcome(future)

    assert blocked, f"the erasure did not wait for the fork ({kind}: {value!r})"
    assert (kind, value) == ("ok", {"conversations": 2, "messages": 6}), (kind, value)
    assert holder.get_conversation(branch) is None
    assert holder.list_conversations(user) == []
    assert holder.get_user_stats(user)["messages"] == 0


def test_a_fork_waiting_for_a_user_erasure_finds_nothing(open_store, database_url, user):
    holder, forker = open_store(), open_store()
    root = _root(holder, user, 5)
    child = holder.fork_conversation(root, 2)
    with ThreadPoolExecutor(2) as pool:
        with _held(holder, database_url) as wait_for:
            assert holder.delete_user_data(user) == {"conversations": 2, "messages": 5}
            of_root = pool.submit(forker.fork_conversation, root, 1)
            blocked = wait_for(of_root)
            of_child = pool.submit(forker.fork_conversation, child, 1)
        outcomes = [_outcome(of_root), _outcome(of_child)]

    assert blocked, f"the fork did not wait for the erasure ({outcomes[0]})"
    for kind, value in outcomes:
        assert kind == "error" and isinstance(value, NotFound), (kind, value)
    assert holder.list_conversations(user) == []


# -- purges racing forks ---------------------------------------------------------------------


def _age(store, conversation_id: str, when: str = OLD) -> None:
    store.database.run(
        load_query(TEST_SQL / "age_conversation.sql", store.dialect, "age_conversation"),
        conversation_id=conversation_id,
        updated_at=when,
    )


def test_a_purge_while_a_fork_of_an_old_conversation_is_open_keeps_it(own_url):
    """An old conversation is being forked (the fork's transaction is open)
    when a purge runs. The purge must not fail, and once the fork commits
    the conversation and its branch must both be whole: the branch is
    active and shares its history."""
    with convstore.connect(own_url) as holder, convstore.connect(own_url) as purger:
        root = _root(holder, "purged", 5)
        _age(holder, root)
        stale = _root(holder, "purged", 2)
        _age(holder, stale)
        with ThreadPoolExecutor(1) as pool:
            with _held(holder, own_url) as wait_for:
                branch = holder.fork_conversation(root, 4)
                future = pool.submit(purger.purge_conversations, timedelta(days=30))
                wait_for(future)  # PostgreSQL skips the locked row; SQLite waits
            kind, value = _outcome(future)

        assert kind == "ok", value
        assert holder.get_conversation(stale) is None
        expected = _rows(holder.get_messages(root, limit=None))
        assert len(expected) == 5
        _check_reads(holder, branch, expected[:4])
        again = purger.purge_conversations(timedelta(days=30))
        assert again == {"conversations": 0, "messages": 0}
        _check_reads(holder, branch, expected[:4])
        _check_reads(holder, root, expected)


def test_a_fork_waiting_for_a_purge_finds_nothing(own_url):
    """The purge (inside a held transaction) deletes an old conversation; a
    fork of it waits and must raise NotFound, leaving no branch."""
    with convstore.connect(own_url) as holder, convstore.connect(own_url) as forker:
        root = _root(holder, "purged", 5)
        _age(holder, root)
        with ThreadPoolExecutor(1) as pool:
            with _held(holder, own_url) as wait_for:
                assert holder.purge_conversations(timedelta(days=30)) == {
                    "conversations": 1,
                    "messages": 5,
                }
                future = pool.submit(forker.fork_conversation, root, 2)
                blocked = wait_for(future)
            kind, value = _outcome(future)

        assert blocked
        assert kind == "error" and isinstance(value, NotFound), (kind, value)
        assert holder.list_conversations("purged") == []


def test_a_purge_that_started_before_a_fork_committed_does_not_fail(own_url):
    """A purge's statement starts while a fork of an old conversation is
    still open, and reaches that conversation only after the fork has
    committed: its snapshot shows no branch, but the conversation now has
    one. The purge must not fail (and must keep the conversation, which an
    active branch shares). On PostgreSQL, 20,000 old conversations that
    sort before it keep the purge busy long enough for the fork to commit
    after the purge's statement started (seen in pg_stat_activity); SQLite
    runs the purge after the fork."""
    with convstore.connect(own_url) as holder, convstore.connect(own_url) as purger:
        if holder.dialect == "postgres":
            with psycopg.connect(own_url, autocommit=True) as connection:
                connection.execute(FILLERS)
        root = _root(holder, "purged", 3)
        _age(holder, root)
        with ThreadPoolExecutor(1) as pool:
            with holder.transaction():
                branch = holder.fork_conversation(root, 2)
                purge = pool.submit(
                    purger.purge_conversations, timedelta(days=30), batch_size=100_000
                )
                if holder.dialect == "postgres":
                    _wait_until(lambda: purge.done() or _purging(own_url), "purging")
                # (On SQLite the purge's transaction waits for the fork's to end.)
            kind, value = _outcome(purge)

        assert kind == "ok", value
        expected = _rows(holder.get_messages(root, limit=None))
        assert len(expected) == 3
        _check_reads(holder, branch, expected[:2])
        assert {c["id"] for c in _no_orphans(holder, "purged")} == {root, branch}


def test_a_purge_takes_inactive_branches_first_and_keeps_what_active_ones_share(own_url):
    """A tree whose members have mixed ages: only old leaves go (and then
    old parents they freed), never a conversation an active branch shares
    from; counts are of stored messages; what stays reads whole."""
    with convstore.connect(own_url) as store:
        root = _root(store, "trees", 3)
        old_leaf = store.fork_conversation(root, 1)
        store.add_message(old_leaf, "user", "a1", tokens=1)
        old_parent = store.fork_conversation(root, 2)
        active = store.fork_conversation(old_parent, 2)
        store.add_messages(active, _messages(2, "b", 3))
        recent = store.fork_conversation(root, 3)
        store.add_message(recent, "user", "c4", tokens=4)
        old_grandchild = store.fork_conversation(recent, 4)
        store.add_message(old_grandchild, "user", "c5", tokens=5)
        for conversation_id in (root, old_leaf, old_parent, old_grandchild):
            _age(store, conversation_id)
        seen = {c: _snapshot(store, c) for c in (root, old_parent, active, recent)}

        assert store.purge_conversations(timedelta(days=30), batch_size=1) == {
            "conversations": 2,
            "messages": 2,
        }
        assert store.get_conversation(old_leaf) is None
        assert store.get_conversation(old_grandchild) is None
        assert {c: _snapshot(store, c) for c in seen} == seen
        _check_reads(store, active, seen[active][0])

        for conversation_id in (active, recent):
            _age(store, conversation_id)
        assert store.purge_conversations(timedelta(days=30), batch_size=1) == {
            "conversations": 4,
            "messages": 6,
        }
        assert store.list_conversations("trees") == []


def test_a_fork_takes_an_explicit_empty_title_and_metadata(store, user):
    root = _root(store, user, 2, title="parent", metadata={"p": 1})
    untitled = store.fork_conversation(root, 1, title=None, metadata={})
    inherited = store.fork_conversation(root, 1)
    assert (
        store.get_conversation(untitled)["title"],
        store.get_conversation(untitled)["metadata"],
    ) == (None, {})
    assert (
        store.get_conversation(inherited)["title"],
        store.get_conversation(inherited)["metadata"],
    ) == ("parent", {"p": 1})


FILLERS = """
INSERT INTO conversations (id, user_id, updated_at)
SELECT gen_random_uuid(), 'filler', '2000-01-01'::timestamptz + g * interval '1 second'
  FROM generate_series(1, 20000) AS g
"""


def _purging(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as observer:
        return bool(
            observer.execute(
                "SELECT 1 FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE '%purge%conversations.sql%' AND pid <> pg_backend_pid()"
            ).fetchall()
        )


# -- forks at every kind of seq ----------------------------------------------------------------


def test_forks_of_a_branch_inside_its_inherited_part_at_zero_and_at_its_newest(store, user):
    """A branch with gaps in both its inherited part and its own messages,
    forked at 0, inside what it inherits, at its fork point, among its own
    messages and at its newest seq (whose message was popped): each fork
    reads right, grows from its fork seq, and freezes exactly what it
    shares."""
    root = _root(store, user, 8)
    store.delete_messages(root, seqs=[3])  # a gap in what the branch will inherit
    branch = store.fork_conversation(root, 6)
    store.add_messages(branch, _messages(4, prefix="b", first=7))  # 7..10
    store.delete_message(branch, 8)  # a gap among its own
    popped = store.pop_message(branch)
    assert popped["seq"] == 10
    history = _rows(store.get_messages(branch, limit=None))
    assert [row[0] for row in history] == [1, 2, 4, 5, 6, 7, 9]

    at = {"zero": 0, "inherited": 4, "fork_point": 6, "own": 7, "newest": 10, "gap": 8}
    forks = {name: store.fork_conversation(branch, seq) for name, seq in at.items()}
    for name, seq in at.items():
        shared = [row for row in history if row[0] <= seq]
        _check_reads(store, forks[name], shared)
        place = store.get_branch(forks[name])
        assert (place["parent_id"], place["fork_seq"], place["root_id"], place["depth"]) == (
            branch,
            seq,
            root,
            2,
        )
        added = store.add_message(forks[name], "assistant", f"after {name}", tokens=3)
        assert added["seq"] == seq + 1
        _check_reads(store, forks[name], [*shared, *_rows([added])])

    with pytest.raises(BranchConflict):  # shared with the fork at its newest seq
        store.pop_message(branch)
    with pytest.raises(BranchConflict):
        store.delete_message(branch, 9)
    store.delete_conversation(forks["newest"])
    assert store.delete_message(branch, 9)  # only the fork at 8 and below remain
    with pytest.raises(BranchConflict):
        store.replace_message(branch, 7, {"role": "user", "content": "x"})
    assert store.set_message_tokens(root, 7, 1)["tokens"] == 1  # root's own, not shared
    assert store.pop_message(root)["seq"] == 8
    with pytest.raises(BranchConflict):
        store.delete_message(root, 6)
    assert store.delete_messages(forks["inherited"], 4) == 1  # the fork's own message only
    with pytest.raises(BranchConflict):
        store.delete_messages(forks["inherited"], 3)
    assert len(_tree_ids(store, root)) == 7
    _no_orphans(store, user)


def test_fork_at_the_last_seq_of_a_conversation_whose_newest_was_deleted(store, user):
    root = _root(store, user, 5)
    store.pop_message(root)
    store.pop_message(root)
    branch = store.fork_conversation(root, 5)  # last_seq stays 5; messages 1..3 remain
    expected = _rows(store.get_messages(root, limit=None))
    _check_reads(store, branch, expected)
    assert store.add_message(branch, "user", "next", tokens=2)["seq"] == 6
    with pytest.raises(InvalidInput, match="past the last seq"):
        store.fork_conversation(root, 6)
    # the root's own appends continue after its last seq, and are not shared
    assert store.add_message(root, "user", "root again")["seq"] == 6
    assert store.pop_message(root)["seq"] == 6
    with pytest.raises(BranchConflict):
        store.pop_message(root)


def test_edits_of_the_same_message_racing_each_other_all_branch(open_store, user):
    """Concurrent edit_message and regenerate calls on the same message:
    each makes its own branch with its own version, none is lost, and the
    active branch is one of them."""
    store = open_store(max_size=10)
    root = _root(store, user, 6)
    start = threading.Barrier(8)

    def edit(n: int) -> str:
        start.wait()
        if n % 2:
            return store.regenerate(root, 5)
        edited = store.edit_message(root, 4, {"role": "user", "content": f"edit {n}"})
        assert edited["seq"] == 4
        return edited["conversation_id"]

    with ThreadPoolExecutor(8) as pool:
        branches = list(pool.map(edit, range(8)))

    assert len(set(branches)) == 8
    assert {b["conversation_id"] for b in store.list_branches(root)} == set(branches)
    assert store.get_branch(root)["active_branch_id"] in branches
    parent = _rows(store.get_messages(root, limit=None))
    for n, branch in enumerate(branches):
        if n % 2:
            _check_reads(store, branch, parent[:4], budgets=6)
        else:
            messages = store.get_messages(branch, limit=None)
            assert _rows(messages[:3]) == parent[:3]
            assert [m["content"] for m in messages[3:]] == [f"edit {n}"]


def test_racing_forks_with_one_chosen_id_make_one_branch(open_store, user):
    """Threads fork different conversations (of two users) with the same
    branch_id: exactly one succeeds, the others raise ConversationExists,
    and no ancestry of a loser is left behind."""
    store = open_store(max_size=10)
    other_user = f"{user}-other"
    roots = [_root(store, user if n % 2 else other_user, 3) for n in range(8)]
    chosen = str(uuid.uuid4())
    start = threading.Barrier(len(roots))

    def fork(conversation_id: str) -> str:
        start.wait()
        return store.fork_conversation(conversation_id, 2, branch_id=chosen)

    with ThreadPoolExecutor(len(roots)) as pool:
        outcomes = [_outcome(f) for f in [pool.submit(fork, r) for r in roots]]

    won = [r for r, (kind, _) in zip(roots, outcomes, strict=True) if kind == "ok"]
    assert len(won) == 1, outcomes
    for kind, value in outcomes:
        if kind == "error":
            assert isinstance(value, ConversationExists), value
    for conversation_id in roots:
        expected = [chosen] if conversation_id == won[0] else []
        assert [b["conversation_id"] for b in store.list_branches(conversation_id)] == expected
        assert len(_tree_ids(store, conversation_id)) == 1 + len(expected)
    place = store.get_branch(chosen)
    assert (place["parent_id"], place["depth"]) == (won[0], 1)
    assert store.delete_conversation(chosen)
    for conversation_id in roots:
        assert store.delete_conversation(conversation_id)


# -- hostile arguments -------------------------------------------------------------------------


def _state(store, user: str, root: str) -> tuple:
    return (
        sorted(c["id"] for c in store.list_conversations(user, limit=1000)),
        [
            (b["conversation_id"], b["title"], b["metadata"])
            for b in store.get_conversation_tree(root)
        ],
        store.get_branch(root)["active_branch_id"],
        store.get_user_stats(user)["messages"],
        _snapshot(store, root),
    )


NOT_TEXT = [None, 3, 2.5, b"bytes", ["list"], {"k": "v"}, object()]
BAD_TEXT = ["\x00", "a\x00b", "\ud800", "lone \udfff surrogate"]


def test_hostile_fork_arguments_raise_typed_errors_and_write_nothing(store, user):
    root = _root(store, user, 4)
    existing = store.fork_conversation(root, 2, title="first")
    store.set_active_branch(existing)
    other_users = _root(store, f"{user}-other", 1)
    before = _state(store, user, root)
    huge = "x" * (8 * 1024 * 1024 + 1)
    nested: dict[str, Any] = {}
    cursor = nested
    for _ in range(100):
        cursor["k"] = {}
        cursor = cursor["k"]

    attempts: list[tuple[str, dict[str, Any], type[Exception]]] = []
    for value in [*NOT_TEXT[1:], "", *BAD_TEXT, " padded", "x" * 2000, "0" * 31, huge]:
        attempts.append(("conversation_id", {"conversation_id": value}, InvalidInput))
        attempts.append(("branch_id", {"branch_id": value}, InvalidInput))
    attempts.append(("conversation_id", {"conversation_id": None}, InvalidInput))
    attempts.append(("conversation_id", {"conversation_id": str(uuid.uuid4())}, NotFound))
    for value in [-1, True, False, 1.0, "1", None, [1], 2**31, 10**30, 5, 9]:
        attempts.append(("at_seq", {"at_seq": value}, InvalidInput))
    for value in [NOT_TEXT[1], NOT_TEXT[3], NOT_TEXT[4], NOT_TEXT[5], *BAD_TEXT, huge]:
        attempts.append(("title", {"title": value}, InvalidInput))
    for value in [
        [("k", "v")],
        "k=v",
        3,
        {"k": {1, 2}},
        {"k": b"x"},
        {"k": float("nan")},
        {"k": float("inf")},
        {3: "v"},
        {("a",): 1},
        {"k": "\x00"},
        {"\x00": "v"},
        {"k": "\udfff"},
        {"\ud800": 1},
        {"k": object()},
        nested,
        {"k": "y" * (2 * 1024 * 1024)},
        {"k": 10**5000},
    ]:
        attempts.append(("metadata", {"metadata": value}, InvalidInput))
    for taken in (root, existing, other_users):
        attempts.append(("branch_id", {"branch_id": taken}, ConversationExists))

    for field, arguments, expected in attempts:
        call = {"conversation_id": root, "at_seq": 3, **arguments}
        conversation_id = call.pop("conversation_id")
        at_seq = call.pop("at_seq")
        with pytest.raises(expected) as raised:
            store.fork_conversation(conversation_id, at_seq, **call)
        assert isinstance(raised.value, ConvstoreError), (field, raised.value)
        assert _state(store, user, root) == before, (field, arguments)
    assert store.get_conversation(other_users)["message_count"] == 1


def test_an_invalid_edit_leaves_no_branch_behind(store, user):
    """edit_message forks before it checks the new message: any invalid
    message must undo the fork (no branch, the active branch unchanged),
    also inside a transaction of the caller's that goes on and commits."""
    root = _root(store, user, 4)
    chosen = store.fork_conversation(root, 1)
    store.set_active_branch(chosen)
    before = _state(store, user, root)
    huge = "x" * (8 * 1024 * 1024 + 1)
    bad_messages: list[Any] = [
        None,
        "text",
        ["user", "x"],
        {},
        {"role": "user"},
        {"content": "x"},
        {"role": "wizard", "content": "x"},
        {"role": ["user"], "content": "x"},
        {"role": "user", "content": 5},
        {"role": "user", "content": "\x00"},
        {"role": "user", "content": "\ud800"},
        {"role": "user", "content": huge},
        {"role": "user", "content": "x", "tokens": -1},
        {"role": "user", "content": "x", "tokens": "5"},
        {"role": "user", "content": "x", "tokens": True},
        {"role": "user", "content": "x", "tokens": 2**40},
        {"role": "user", "content": "x", "pinned": "yes"},
        {"role": "user", "content": "x", "metadata": {"k": float("nan")}},
        {"role": "user", "content": "x", "metadata": ["k"]},
        {"role": "user", "content": "x", "idempotency_key": "\x00"},
        {"role": "user", "content": "x", "idempotency_key": 5},
        {"role": "user", "content": "x", "kind": "no spaces allowed"},
        {"role": "user", "content": "x", "seq": 3},
        {"role": "user", "content": "x", "conversation_id": root},
        {"role": "assistant", "content": None, "tool_calls": "nope"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": 1}]},
    ]
    for message in bad_messages:
        with pytest.raises(InvalidInput):
            store.edit_message(root, 3, message)
        assert _state(store, user, root) == before, message
        with pytest.raises(InvalidInput):
            store.edit_message(root, 3, message, branch_id=str(uuid.uuid4()))
        assert _state(store, user, root) == before, message

    with pytest.raises(ConversationExists):
        store.edit_message(root, 3, {"role": "user", "content": "x"}, branch_id=chosen)
    for seq in (0, -1, True, "3", None, 2**31):
        with pytest.raises(InvalidInput):
            store.edit_message(root, seq, {"role": "user", "content": "x"})
        with pytest.raises(InvalidInput):
            store.regenerate(root, seq)
    for seq in (5, 99):
        with pytest.raises(NotFound):
            store.edit_message(root, seq, {"role": "user", "content": "x"})
        with pytest.raises(NotFound):
            store.regenerate(root, seq)
    assert _state(store, user, root) == before

    with store.transaction():
        with pytest.raises(InvalidInput):
            store.edit_message(root, 3, {"role": "wizard", "content": "x"})
        with pytest.raises(ConversationExists):
            store.regenerate(root, 3, branch_id=chosen)
        appended = store.add_message(root, "user", "kept", tokens=1)
    assert appended["seq"] == 5
    assert [b["conversation_id"] for b in store.list_branches(root)] == [chosen]
    assert store.get_branch(root)["active_branch_id"] == chosen
    assert store.get_message(root, 5)["content"] == "kept"

    # a gap: the message was deleted, so there is nothing to edit
    store.delete_message(root, 4)
    with pytest.raises(NotFound):
        store.edit_message(root, 4, {"role": "user", "content": "x"})
    with pytest.raises(NotFound):
        store.regenerate(root, 4)
    assert [b["conversation_id"] for b in store.list_branches(root)] == [chosen]


def test_hostile_arguments_to_the_other_branch_methods(store, user):
    root = _root(store, user, 3)
    branch = store.fork_conversation(root, 2)
    before = _state(store, user, root)
    for value in [*NOT_TEXT, "", *BAD_TEXT, "x" * 2000]:
        for call in (
            lambda v: store.get_branch(v),
            lambda v: store.list_branches(v),
            lambda v: store.get_conversation_tree(v),
            lambda v: store.set_active_branch(v),
            lambda v: store.delete_conversation(v, with_branches=True),
            lambda v: store.regenerate(v, 1),
        ):
            with pytest.raises(InvalidInput):
                call(value)
    for flag in (None, 1, "yes", [True]):
        with pytest.raises(InvalidInput):
            store.delete_conversation(root, with_branches=flag)
    assert _state(store, user, root) == before
    assert store.get_branch(branch)["parent_id"] == root


# -- another user's view -----------------------------------------------------------------------


def test_another_users_view_can_do_nothing_with_a_tree(store, user):
    """A view of another user tries every branch method (and the reads a
    branch serves) on every member of a user's tree: each behaves as for a
    missing conversation, and nothing of the tree changes."""
    root = _root(store, user, 5, title="secret", metadata={"s": 1})
    child = store.fork_conversation(root, 3)
    store.add_message(child, "user", "child secret")
    grandchild = store.fork_conversation(child, 4)
    store.set_active_branch(child)
    before = _state(store, user, root)
    seen = {c: _snapshot(store, c) for c in (root, child, grandchild)}
    stranger_id = f"stranger-{uuid.uuid4()}"
    stranger = store.for_user(stranger_id)
    own = stranger.create_conversation()
    stranger.add_message(own, "user", "mine")

    for target in (root, child, grandchild):
        for at_seq in (0, 1, 3):
            with pytest.raises(NotFound):
                stranger.fork_conversation(target, at_seq)
            with pytest.raises(NotFound):
                stranger.fork_conversation(target, at_seq, branch_id=str(uuid.uuid4()))
        with pytest.raises(NotFound):
            stranger.edit_message(target, 2, {"role": "user", "content": "stolen"})
        with pytest.raises(NotFound):
            stranger.regenerate(target, 2)
        with pytest.raises(NotFound):
            stranger.set_active_branch(target)
        assert stranger.get_branch(target) is None
        assert stranger.list_branches(target) == []
        assert stranger.get_conversation_tree(target) == []
        assert not stranger.delete_conversation(target)
        assert not stranger.delete_conversation(target, with_branches=True)
        assert stranger.get_conversation(target) is None
        assert stranger.get_messages(target, limit=None) == []
        assert stranger.get_message(target, 1) is None
        assert stranger.get_recent_context(target, max_tokens=HUGE) == []
        assert stranger.get_message_fingerprints(target) == []
        assert stranger.get_conversation_stats(target) is None
        assert stranger.search_messages(None, "secret", conversation_id=target) == []
        with pytest.raises(NotFound):
            stranger.add_message(target, "user", "x")
        assert stranger.delete_messages(target) == 0
        assert stranger.pop_message(target) is None
        with pytest.raises(ConvstoreError):
            stranger.import_conversation(
                {
                    "id": str(uuid.uuid4()),
                    "created_at": "2024-01-01T00:00:00Z",
                    "updated_at": "2024-01-01T00:00:00Z",
                    "parent_id": target,
                    "fork_seq": 1,
                },
                [],
            )
    with pytest.raises(InvalidInput):
        stranger.delete_user_data(user)
    with pytest.raises(InvalidInput):
        stranger.list_conversations(user)
    # the stranger's own tree works, and stays the stranger's
    own_branch = stranger.fork_conversation(own, 1)
    assert stranger.get_branch(own_branch)["root_id"] == own
    assert store.get_conversation(own_branch)["user_id"] == stranger_id
    assert stranger.delete_user_data() == {"conversations": 2, "messages": 1}

    assert _state(store, user, root) == before
    assert {c: _snapshot(store, c) for c in (root, child, grandchild)} == seen
    assert store.get_branch(grandchild)["active_branch_id"] == child


# -- deep chains and wide trees ------------------------------------------------------------------


def test_a_chain_of_thirty_forks_reads_as_thirty_whole_conversations(store, user):
    """Each link forks the previous one (at its newest seq, one before it,
    or inside what it inherits) and adds messages of its own: every link
    reads exactly as a model of it says; deleting the middle of the chain
    with its branches leaves the links above it whole."""
    root = store.create_conversation(user)
    store.add_messages(
        root,
        [{"role": "system", "content": "granite marker", "tokens": 5, "pinned": True}]
        + _messages(3, prefix="r", first=2),
    )
    chain = [root]
    fork_seqs: dict[str, int] = {}
    expected = {root: _rows(store.get_messages(root, limit=None))}
    for n in range(30):
        parent = chain[-1]
        rows = expected[parent]
        last = rows[-1][0]
        at_seq = [last, last - 1, max(1, last - 3)][n % 3]
        link = store.fork_conversation(parent, at_seq, title=f"link {n}")
        fork_seqs[link] = at_seq
        added = store.add_messages(
            link,
            [
                {"role": "user", "content": f"l{n}u", "tokens": n % 4 + 1},
                {"role": "assistant", "content": f"l{n}a", "tokens": None if n % 6 == 0 else n},
            ],
        )
        expected[link] = [row for row in rows if row[0] <= at_seq] + _rows(added)
        chain.append(link)

    deepest = chain[-1]
    tree = store.get_conversation_tree(deepest)
    assert [b["conversation_id"] for b in tree] == chain
    assert [b["depth"] for b in tree] == list(range(31))
    for depth, link in enumerate(chain):
        _check_reads(store, link, expected[link], budgets=8)
        place = store.get_branch(link)
        assert (place["root_id"], place["depth"]) == (root, depth)
    hits = store.search_messages(user, "granite", conversation_id=deepest)
    assert [(h["conversation_id"], h["seq"]) for h in hits] == [(root, 1)]
    assert len(hits[0]["branch_ids"]) == 30

    with pytest.raises(BranchConflict):
        store.delete_conversation(chain[15])
    with pytest.raises(BranchConflict):
        store.replace_message(root, 1, {"role": "system", "content": "changed"})
    assert store.delete_conversation(chain[15], with_branches=True)
    for link in chain[15:]:
        assert store.get_conversation(link) is None
    for link in chain[:15]:
        _check_reads(store, link, expected[link], budgets=4)
    assert _tree_ids(store, root) == chain[:15]
    stored = sum(
        len([row for row in expected[link] if row[0] > (fork_seqs.get(link) or 0)])
        for link in chain[:15]
    )
    assert store.get_user_stats(user)["messages"] == stored
    assert store.delete_user_data(user) == {"conversations": 15, "messages": stored}
    assert _no_orphans(store, user) == []


def test_a_conversation_with_two_hundred_branches(store, user):
    """200 branches of one conversation, forked at varied seqs, some with
    messages of their own and branches of their own: all read right, the
    frozen part of the parent follows the branches as they go, and the
    whole tree deletes in one call."""
    root = _root(store, user, 40)
    parent = _rows(store.get_messages(root, limit=None))
    rng = random.Random(7)
    branches: dict[str, int] = {}
    own: dict[str, list[tuple]] = {}
    for n in range(200):
        at_seq = rng.choice([0, 1, 40, rng.randint(0, 40)])
        branch = store.fork_conversation(root, at_seq, metadata={"n": n})
        branches[branch] = at_seq
        own[branch] = []
        if n % 4 == 0:
            own[branch] = _rows(store.add_messages(branch, _messages(2, "o", at_seq + 1)))
    nested = [store.fork_conversation(b, s) for b, s in list(branches.items())[:20]]

    listed = store.list_branches(root)
    assert {b["conversation_id"] for b in listed} == set(branches)
    assert [(b["fork_seq"], b["created_at"], b["conversation_id"]) for b in listed] == sorted(
        (b["fork_seq"], b["created_at"], b["conversation_id"]) for b in listed
    )
    assert len(store.get_conversation_tree(root)) == 221
    for branch, at_seq in branches.items():
        expected = [row for row in parent if row[0] <= at_seq] + own[branch]
        messages = store.get_messages(branch, limit=None)
        assert _rows(messages) == expected
        context = store.get_recent_context(branch, max_tokens=HUGE)
        assert [m["seq"] for m in context] == [row[0] for row in expected]
        if context:
            assert context[0]["suffix_tokens"] == sum(
                100 if row[3] is None else row[3] for row in expected
            )
    for branch, at_seq in list(branches.items())[:10]:
        _check_reads(store, branch, [row for row in parent if row[0] <= at_seq] + own[branch])

    # The parent's frozen part ends at the highest fork seq of what remains.
    for nested_branch in nested:
        assert store.delete_conversation(nested_branch)
    with pytest.raises(BranchConflict):
        store.delete_messages(root, max(branches.values()) - 1)
    for branch in [b for b, at_seq in branches.items() if at_seq > 30]:
        assert store.delete_conversation(branch)
        del branches[branch]
    frozen = max(branches.values())
    assert frozen <= 30
    if frozen:
        with pytest.raises(BranchConflict):
            store.delete_messages(root, frozen - 1)
    assert store.delete_messages(root, frozen) == 40 - frozen
    assert [row[0] for row in _rows(store.get_messages(root, limit=None))] == list(
        range(1, frozen + 1)
    )
    with pytest.raises(BranchConflict):
        store.delete_conversation(root)
    for branch, at_seq in list(branches.items())[:20]:
        _check_reads(
            store, branch, [row for row in parent if row[0] <= at_seq] + own[branch], budgets=4
        )
    assert store.delete_conversation(root, with_branches=True)
    assert _no_orphans(store, user) == []
    assert store.get_user_stats(user)["messages"] == 0
