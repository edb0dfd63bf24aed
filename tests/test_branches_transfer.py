"""Trees of branches across the SQLite -> PostgreSQL transfer and a JSONL
export and import: every branch reads at the destination exactly as at the
source (its whole history, the token-budget context, its place in the tree),
shared messages stay shared (stored once), and running again adds nothing."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterator

import pytest

import convstore
from convstore import BranchConflict, ConvstoreError, NotFound
from convstore.store import Store
from convstore.transfer import transfer
from convstore.transfer.importing import import_source
from convstore.transfer.jsonl import export_conversations, import_conversations, read_lines

from .conftest import DIALECTS

BUDGETS = (0, 10, 25, 57, 120, 260, 100_000)
"""Token budgets of get_recent_context: from nothing but the pinned messages
to the whole history, cutting inside the shared part and inside a branch's own."""

CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "lookup", "arguments": '{"q": "tiles"}'},
}


# -- the tree --------------------------------------------------------------------------


def _build_tree(store: Store, user: str) -> dict[str, str]:
    """Two trees and a lone conversation; return their ids by name.

    ``root`` (a pinned system prompt and a tool-call group in what its branches
    share): ``early`` forked at 3 and ``edited`` (edit_message of 6, so forked
    at 5) are its branches, ``deep`` a branch of ``early`` sharing ``early``'s
    own seq 4, ``regenerated`` a branch of ``edited`` (regenerate of 7), and
    ``blank`` a branch forked at 0. ``gappy`` lost messages 2 and 5 before it
    was forked at 6 (``after_gap``) and at 4 (``mid``, with no message of its
    own), then its unshared seq 7. The active branch of ``root``'s tree is
    ``deep``, of ``gappy``'s ``after_gap``."""
    ids: dict[str, str] = {}
    root = ids["root"] = store.create_conversation(
        user, title="Lisbon ☀", metadata={"channel": "web", "tags": ["a", "ü"]}
    )
    store.add_message(root, "system", "Be brief.", tokens=7, pinned=True)
    store.add_messages(
        root,
        [
            {
                "role": "user",
                "content": "Two days in Lisbon?",
                "tokens": 8,
                "idempotency_key": "q1",
            },
            {"role": "assistant", "content": None, "tool_calls": [CALL], "tokens": 12},
            {
                "role": "tool",
                "content": "Alfama, Belém",
                "tool_call_id": "call_1",
                "name": "lookup",
                "tokens": 5,
            },
            {
                "role": "assistant",
                "content": "Start in Alfama é😀.",
                "tokens": 9,
                "latency_ms": 840,
                "metadata": {"model": "m-1"},
            },
            {"role": "user", "content": "And day two?"},  # tokens unknown: counts as 100
            {"role": "assistant", "content": "Belém.", "tokens": 4},
        ],
    )
    early = ids["early"] = store.fork_conversation(root, 3, title="early")
    store.add_messages(
        early,
        [
            {"role": "tool", "content": "Sintra", "tool_call_id": "call_1", "tokens": 6},
            {"role": "assistant", "content": "Go to Sintra.", "tokens": 11},
        ],
    )
    edited = store.edit_message(
        root, 6, {"role": "user", "content": "And day two, by train?", "tokens": 9}
    )
    ids["edited"] = edited["conversation_id"]
    store.add_message(ids["edited"], "assistant", "Cascais by train.", tokens=7)
    deep = ids["deep"] = store.fork_conversation(early, 4, metadata={"depth": 2})
    store.add_messages(
        deep,
        [
            {"role": "assistant", "content": "Sintra, then Cabo da Roca.", "tokens": 10},
            {"role": "user", "content": "Thanks!", "tokens": 3, "idempotency_key": "t1"},
        ],
    )
    ids["regenerated"] = store.regenerate(ids["edited"], 7)
    store.add_message(ids["regenerated"], "assistant", "Cascais, or Setúbal.", tokens=8)
    blank = ids["blank"] = store.fork_conversation(
        root, 0, title="blank", metadata={"from": "scratch"}
    )
    store.add_messages(
        blank,
        [
            {"role": "system", "content": "Be verbose.", "tokens": 4, "pinned": True},
            {"role": "user", "content": "Porto instead?", "tokens": 5},
        ],
    )
    store.set_active_branch(deep)

    gappy = ids["gappy"] = store.create_conversation(user, title="gaps")
    store.add_messages(
        gappy,
        [
            {"role": "system", "content": "Rules.", "tokens": 5, "pinned": True},
            {"role": "user", "content": "g2", "tokens": 10},
            {"role": "system", "content": "More rules.", "tokens": 3, "pinned": True},
            {"role": "user", "content": "g4", "tokens": 10},
            {"role": "assistant", "content": "g5", "tokens": 10},
            {"role": "user", "content": "g6", "tokens": 10},
            {"role": "assistant", "content": "g7", "tokens": 10},
        ],
    )
    store.delete_messages(gappy, seqs=[2, 5])
    after_gap = ids["after_gap"] = store.fork_conversation(gappy, 6)
    store.add_messages(
        after_gap,
        [
            {"role": "assistant", "content": "a7", "tokens": 20},
            {"role": "user", "content": "a8", "tokens": 1},
        ],
    )
    ids["mid"] = store.fork_conversation(gappy, 4)
    store.delete_message(gappy, 7)  # after every fork point: not shared
    store.set_active_branch(after_gap)

    ids["lone"] = store.create_conversation(user, title="lone")
    store.add_message(ids["lone"], "user", "nothing to share", tokens=2)
    return ids


def _check_the_tree_is_as_built(store: Store, ids: dict[str, str]) -> None:
    """The source holds the tree _build_tree means to build (so that the
    comparisons below compare a tree, not something else)."""
    contents = {
        name: [m["content"] for m in store.get_messages(cid, limit=None)]
        for name, cid in ids.items()
    }
    assert contents["deep"][3:] == ["Sintra", "Sintra, then Cabo da Roca.", "Thanks!"]
    assert contents["regenerated"][5:] == ["And day two, by train?", "Cascais, or Setúbal."]
    assert contents["blank"] == ["Be verbose.", "Porto instead?"]
    assert contents["after_gap"] == ["Rules.", "More rules.", "g4", "g6", "a7", "a8"]
    assert contents["mid"] == ["Rules.", "More rules.", "g4"]
    places = {name: store.get_branch(cid) for name, cid in ids.items()}
    assert (places["deep"]["parent_id"], places["deep"]["fork_seq"], places["deep"]["depth"]) == (
        ids["early"],
        4,
        2,
    )
    assert (places["regenerated"]["parent_id"], places["regenerated"]["fork_seq"]) == (
        ids["edited"],
        6,
    )
    assert (places["edited"]["parent_id"], places["edited"]["fork_seq"]) == (ids["root"], 5)
    assert (places["blank"]["fork_seq"], places["mid"]["fork_seq"]) == (0, 4)
    assert places["root"]["active_branch_id"] == ids["deep"]
    assert places["mid"]["active_branch_id"] == ids["after_gap"]
    assert len(store.get_conversation_tree(ids["deep"])) == 6


# -- reading it back ---------------------------------------------------------------------


def _reading(store: Store, ids: dict[str, str]) -> dict[str, dict[str, object]]:
    """Everything a reader sees of each conversation, by name."""
    return {
        name: {
            "get_conversation": store.get_conversation(cid),
            "messages": store.get_messages(cid, limit=None),
            "newest page": store.get_messages(cid, limit=3),
            "page before seq 5": store.get_messages(cid, limit=2, before_seq=5),
            **{
                f"context at {budget}": store.get_recent_context(cid, max_tokens=budget)
                for budget in BUDGETS
            },
            "context at 40, tool groups cut": store.get_recent_context(
                cid, max_tokens=40, keep_tool_groups=False
            ),
            "stats": store.get_conversation_stats(cid),
            "fingerprints": store.get_message_fingerprints(cid),
            "get_branch": store.get_branch(cid),
            "list_branches": store.list_branches(cid),
            "tree": store.get_conversation_tree(cid),
        }
        for name, cid in ids.items()
    }


def _without_active_branch(reading: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    """``reading`` without the active branch, which a JSONL line does not hold
    (test_a_jsonl_import_keeps_the_active_branch checks it on its own)."""
    return {
        name: {
            **seen,
            "get_branch": {
                key: value for key, value in seen["get_branch"].items() if key != "active_branch_id"
            },
        }
        for name, seen in reading.items()
    }


def _assert_reads_the_same(expected: dict, actual: dict) -> None:
    assert actual.keys() == expected.keys()
    for name, seen in expected.items():
        for what, value in seen.items():
            assert actual[name][what] == value, f"{name}: {what}"


def _active_branches(store: Store, ids: dict[str, str]) -> dict[str, str | None]:
    """The name of each conversation's tree's active branch (get_branch)."""
    names = {cid: name for name, cid in ids.items()}
    places = {name: store.get_branch(cid) for name, cid in ids.items()}
    return {
        name: place and names.get(place["active_branch_id"], place["active_branch_id"])
        for name, place in places.items()
    }


def _listed(store: Store, user: str, ids: dict[str, str]) -> list[str]:
    """The user's conversations by name, most recently active first (the order of writes)."""
    names = {cid: name for name, cid in ids.items()}
    return [names[c["id"]] for c in store.list_conversations(user, limit=100)]


def _stored_messages(store: Store, user: str) -> int:
    """How many message rows the user's conversations store (shared ones once)."""
    return store.get_user_stats(user)["messages"]


# -- SQLite -> PostgreSQL -----------------------------------------------------------------


@pytest.fixture
def destination(scratch_databases) -> str:
    """A fresh PostgreSQL database, not migrated (the transfer migrates it)."""
    return scratch_databases.create()


def _built_source(sqlite_url: str, user: str) -> tuple[dict[str, str], dict, int]:
    with convstore.connect(sqlite_url) as source:
        ids = _build_tree(source, user)
        _check_the_tree_is_as_built(source, ids)
        return ids, _reading(source, ids), _stored_messages(source, user)


@pytest.mark.parametrize("page_size", [1, 2, 500])
def test_a_transfer_copies_a_tree_of_branches_exactly(sqlite_url, destination, user, page_size):
    ids, expected, stored = _built_source(sqlite_url, user)
    with convstore.connect(sqlite_url) as source:
        listed = _listed(source, user, ids)

    report = transfer(sqlite_url, destination, page_size=page_size)

    assert report.verified, (report.mismatched, report.conflicting)
    assert report.conversations_checked == len(ids)
    assert (report.conversations_copied, report.messages_copied) == (len(ids), stored)
    with convstore.connect(destination) as copy:
        _assert_reads_the_same(expected, _reading(copy, ids))
        assert _stored_messages(copy, user) == stored  # shared messages are not copied twice
        assert _listed(copy, user, ids) == listed

    again = transfer(sqlite_url, destination)

    assert (again.conversations_copied, again.messages_copied) == (0, 0)
    assert again.verified and again.conversations_checked == len(ids)
    with convstore.connect(destination) as copy:
        _assert_reads_the_same(expected, _reading(copy, ids))
        assert _stored_messages(copy, user) == stored


def test_the_copied_tree_shares_and_grows_at_the_destination(sqlite_url, destination, user):
    ids, _, _ = _built_source(sqlite_url, user)
    assert transfer(sqlite_url, destination).verified

    with convstore.connect(destination) as copy:
        with pytest.raises(BranchConflict):  # shared with early, edited, deep, blank ...
            copy.delete_message(ids["root"], 2)
        with pytest.raises(BranchConflict):  # early's own seq 4, shared with deep
            copy.replace_message(ids["early"], 4, {"role": "user", "content": "x"})
        with pytest.raises(BranchConflict):
            copy.delete_conversation(ids["early"])
        assert copy.add_message(ids["deep"], "user", "at the destination")["seq"] == 7
        fork = copy.fork_conversation(ids["deep"], 5)
        assert [m["content"] for m in copy.get_messages(fork, limit=None)] == [
            "Be brief.",
            "Two days in Lisbon?",
            None,
            "Sintra",
            "Sintra, then Cabo da Roca.",
        ]
        assert copy.delete_conversation(ids["root"], with_branches=True)
        assert all(copy.get_conversation(ids[name]) is None for name in ("early", "deep", "blank"))
        assert copy.get_conversation(ids["after_gap"]) is not None


def test_a_second_transfer_grows_branches_and_adds_new_ones(sqlite_url, destination, user):
    ids, _, _ = _built_source(sqlite_url, user)
    assert transfer(sqlite_url, destination, page_size=3).verified

    with convstore.connect(sqlite_url) as source:
        source.add_messages(
            ids["deep"],
            [
                {"role": "assistant", "content": "Grown since.", "tokens": 6},
                {"role": "user", "content": "Pinned later.", "tokens": 2, "pinned": True},
            ],
        )
        source.add_message(ids["blank"], "assistant", "Porto: the Ribeira.", tokens=7)
        source.add_message(ids["root"], "user", "The root grows too.", tokens=5)
        ids["late"] = source.fork_conversation(ids["deep"], 6, title="late")  # a new branch
        source.add_message(ids["late"], "assistant", "A late branch.", tokens=4)
        ids["late_empty"] = source.fork_conversation(ids["after_gap"], 7)
        expected = _reading(source, ids)
        stored = _stored_messages(source, user)
        listed = _listed(source, user, ids)

    grown = transfer(sqlite_url, destination, page_size=3)

    assert grown.verified, (grown.mismatched, grown.conflicting)
    assert (grown.conversations_copied, grown.messages_copied) == (2, 5)
    with convstore.connect(destination) as copy:
        _assert_reads_the_same(expected, _reading(copy, ids))
        assert _stored_messages(copy, user) == stored
        assert _listed(copy, user, ids) == listed
        with pytest.raises(BranchConflict):  # deep's own seq 6, shared with late since
            copy.delete_message(ids["deep"], 6)

    again = transfer(sqlite_url, destination)

    assert (again.conversations_copied, again.messages_copied) == (0, 0) and again.verified


def test_a_second_transfer_carries_a_changed_active_branch(sqlite_url, destination, user):
    """A tree's active branch, changed at the source after a first run, reads
    the same at the destination after the next one (every branch is to read as
    at the source, get_branch included). A conversation that did not grow is
    not written again, and the verification does not compare the active
    branch, so a miss here is reported as verified."""
    ids, _, _ = _built_source(sqlite_url, user)
    assert transfer(sqlite_url, destination).verified

    with convstore.connect(sqlite_url) as source:
        source.set_active_branch(ids["blank"])
        source.set_active_branch(ids["gappy"])
        expected = _active_branches(source, ids)
    assert expected["early"] == "blank" and expected["after_gap"] == "gappy"
    report = transfer(sqlite_url, destination)

    assert report.verified
    with convstore.connect(destination) as copy:
        assert _active_branches(copy, ids) == expected


# -- JSONL export and import ------------------------------------------------------------


@pytest.fixture(params=DIALECTS, ids=[f"into-{dialect}" for dialect in DIALECTS])
def fresh(request, tmp_path, scratch_databases) -> Iterator[Callable[[], Store]]:
    """Opens a store on a new, empty database of one dialect at each call."""
    stores: list[Store] = []

    def open_fresh() -> Store:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'imported-{len(stores)}.db'}"
        else:
            url = scratch_databases.create()
        stores.append(convstore.connect(url, migrate=True))
        return stores[-1]

    yield open_fresh
    for opened in stores:
        opened.close()


def _exported(store: Store, user: str) -> list[str]:
    out = io.StringIO()
    export_conversations(store, user, out)
    return out.getvalue().splitlines()


def _line_numbers(lines: list[str]) -> dict[str, int]:
    """Each conversation's line number (from 1) in ``lines``."""
    return {
        json.loads(line)["convstore"]["conversation"]["id"]: number
        for number, line in enumerate(lines, start=1)
    }


def _names(ids: dict[str, str]) -> dict[str, str]:
    return {cid: name for name, cid in ids.items()}


def test_an_export_line_holds_a_branchs_whole_history(store, user):
    ids = _build_tree(store, user)
    lines = {
        record["convstore"]["conversation"]["id"]: record
        for record in map(json.loads, _exported(store, user))
    }

    assert lines.keys() == set(ids.values())
    for name, cid in ids.items():
        stored = store.get_messages(cid, limit=None)
        line = lines[cid]
        assert [m["seq"] for m in line["convstore"]["messages"]] == [m["seq"] for m in stored]
        assert [m["content"] for m in line["messages"]] == [m["content"] for m in stored], name
        place = store.get_branch(cid)
        conversation = line["convstore"]["conversation"]
        if place["parent_id"] is None:
            assert "parent_id" not in conversation and "fork_seq" not in conversation
        else:
            assert (conversation["parent_id"], conversation["fork_seq"]) == (
                place["parent_id"],
                place["fork_seq"],
            )


def test_a_jsonl_export_imports_as_the_same_tree(store, fresh, user):
    ids = _build_tree(store, user)
    _check_the_tree_is_as_built(store, ids)
    expected = _without_active_branch(_reading(store, ids))
    stored = _stored_messages(store, user)
    lines = _exported(store, user)
    target = fresh()

    assert import_conversations(target, lines) == {"conversations": len(ids), "messages": stored}

    _assert_reads_the_same(expected, _without_active_branch(_reading(target, ids)))
    assert _stored_messages(target, user) == stored  # shared messages are stored once
    assert target.get_user_stats(user)["conversations"] == len(ids)

    assert import_conversations(target, lines) == {"conversations": 0, "messages": 0}

    _assert_reads_the_same(expected, _without_active_branch(_reading(target, ids)))
    assert _stored_messages(target, user) == stored
    with pytest.raises(BranchConflict):  # the tree shares again
        target.delete_message(ids["root"], 1)


def test_a_jsonl_import_keeps_the_active_branch(store, fresh, user):
    """The tree's active branch (get_branch) comes back too: an import is to
    bring the tree back exactly. No line holds it today (the export writes a
    branch's parent_id and fork_seq, not its root's active_branch_id)."""
    ids = _build_tree(store, user)
    expected = _active_branches(store, ids)
    assert expected["early"] == "deep" and expected["mid"] == "after_gap"
    target = fresh()

    import_conversations(target, _exported(store, user))

    assert _active_branches(target, ids) == expected


def test_a_jsonl_restore_lists_the_tree_in_the_order_it_had(store, fresh, user):
    """The README: an export is written oldest activity first, so a restore
    lists the roots in the order they had -- but a branch whose line comes
    before its parent's (the parent was active after it) waits for its
    parent, and so lists after it, as newer."""
    ids = _build_tree(store, user)
    store.add_message(ids["root"], "user", "The root, active again.", tokens=3)
    store.add_message(ids["early"], "user", "early, active again.", tokens=3)
    listed = _listed(store, user, ids)
    assert listed.index("root") < listed.index("deep")  # newest first
    lines = _exported(store, user)
    numbers = {name: _line_numbers(lines)[cid] for name, cid in ids.items()}
    names = _names(ids)
    parent_of = {
        name: names[store.get_branch(cid)["parent_id"]]
        for name, cid in ids.items()
        if store.get_branch(cid)["parent_id"] is not None
    }
    waited = {name for name, parent in parent_of.items() if numbers[name] < numbers[parent]}
    assert waited, "no branch's line comes before its parent's"
    target = fresh()

    import_conversations(target, lines)

    restored = _listed(target, user, ids)
    assert [name for name in restored if name not in parent_of] == [
        name for name in listed if name not in parent_of
    ]  # the roots, which never wait
    for name in waited:
        assert restored.index(name) < restored.index(parent_of[name]), name


@pytest.mark.parametrize("order", ["reversed", "shuffled 1", "shuffled 2", "shuffled 3"])
def test_branch_lines_before_their_parents_still_import(store, fresh, user, order):
    ids = _build_tree(store, user)
    expected = _without_active_branch(_reading(store, ids))
    stored = _stored_messages(store, user)
    lines = _exported(store, user)
    if order == "reversed":
        lines.reverse()
    else:
        random.Random(order).shuffle(lines)
    numbers = _line_numbers(lines)
    places = {cid: store.get_branch(cid) for cid in ids.values()}
    early_branches = [
        cid
        for cid, place in places.items()
        if place["parent_id"] is not None and numbers[cid] < numbers[place["parent_id"]]
    ]
    assert early_branches, "no branch comes before its parent in this order"
    target = fresh()

    imported = list(import_source(target, read_lines(lines)))

    assert sorted(_number(line.where) for line in imported) == list(range(1, len(lines) + 1))
    assert sum(line.conversations for line in imported) == len(ids)
    assert sum(line.messages for line in imported) == stored
    _assert_reads_the_same(expected, _without_active_branch(_reading(target, ids)))
    assert _stored_messages(target, user) == stored
    assert import_conversations(target, lines) == {"conversations": 0, "messages": 0}


def test_a_branch_line_without_its_parent_is_refused_by_its_number(store, fresh, user):
    ids = _build_tree(store, user)
    full = _exported(store, user)
    by_id = {json.loads(line)["convstore"]["conversation"]["id"]: line for line in full}
    # deep's parent (early) and root are on no line; gappy's tree and lone are.
    lines = [by_id[ids["lone"]], by_id[ids["deep"]], by_id[ids["gappy"]], by_id[ids["after_gap"]]]
    target = fresh()

    imported = []
    with pytest.raises(NotFound, match=rf"^line 2: .*{ids['early']}"):
        for line in import_source(target, read_lines(lines)):
            imported.append(_number(line.where))

    assert imported == [1, 3, 4]  # the lines after the held-back one were imported
    assert target.get_conversation(ids["deep"]) is None
    assert target.get_branch(ids["deep"]) is None
    assert target.get_conversation_tree(ids["deep"]) == []
    assert _stored_messages(target, user) == 1 + 4 + 2  # lone, gappy's own, after_gap's own
    assert target.get_conversation(ids["after_gap"])["message_count"] == 6

    with pytest.raises(NotFound, match=r"^line 2: "):  # the same through import_conversations
        import_conversations(fresh(), lines)

    # With the parents in the input, the same file imports whole.
    assert import_conversations(target, full)["conversations"] == len(ids) - 3
    expected = _without_active_branch(_reading(store, ids))
    _assert_reads_the_same(expected, _without_active_branch(_reading(target, ids)))


@pytest.mark.parametrize(
    ("branch", "index"),
    [("deep", 1), ("deep", 3), ("after_gap", 2), ("regenerated", 5)],
    ids=["root's message", "parent's own message", "after a gap", "an edited message"],
)
def test_a_branch_line_whose_shared_messages_were_altered_is_refused(
    store, fresh, user, branch, index
):
    ids = _build_tree(store, user)
    lines = _exported(store, user)
    number = _line_numbers(lines)[ids[branch]]
    record = json.loads(lines[number - 1])
    shared = record["convstore"]["conversation"]["fork_seq"]
    seq = record["convstore"]["messages"][index]["seq"]
    assert seq <= shared  # the message altered is one the branch shares
    record["messages"][index]["content"] = "altered in the file"
    lines[number - 1] = json.dumps(record, ensure_ascii=False)
    target = fresh()

    imported: list[int] = []
    with pytest.raises(ConvstoreError, match=rf"^line {number}: ") as refused:
        for line in import_source(target, read_lines(lines)):
            imported.append(_number(line.where))

    assert isinstance(refused.value, BranchConflict)
    assert f"messages[{index}]" in str(refused.value)
    assert number not in imported
    assert target.get_conversation(ids[branch]) is None
    assert target.get_branch(ids[branch]) is None
    names = _names(ids)
    numbers = _line_numbers(lines)
    for cid, at in numbers.items():  # the lines imported before it stay, whole
        if at in imported:
            assert target.get_conversation(cid) is not None, names[cid]
    parent = store.get_branch(ids[branch])["parent_id"]
    assert [m["content"] for m in target.get_messages(parent, limit=None)] == [
        m["content"] for m in store.get_messages(parent, limit=None)
    ]


def _number(where: str) -> int:
    """The line number of an import's ``"line N"``."""
    return int(where.removeprefix("line "))
