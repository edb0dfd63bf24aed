"""Branches (forks, edits, regenerations), run on SQLite, PostgreSQL and
PgBouncer through both APIs: a branch shares its parent's messages without
copying them and reads as a whole conversation."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from convstore import BranchConflict, ConversationExists, InvalidInput, NotFound


def _contents(messages):
    return [message["content"] for message in messages]


def _conversation(store, user, count, tokens=10):
    conversation_id = store.create_conversation(user, title="root", metadata={"k": 1})
    store.add_messages(
        conversation_id,
        [
            {"role": "user" if i % 2 else "assistant", "content": f"m{i}", "tokens": tokens}
            for i in range(1, count + 1)
        ],
    )
    return conversation_id


def _stored_messages(store, user):
    return store.get_user_stats(user)["messages"]


def test_a_fork_shares_the_history_without_copying_it(store, user):
    root = _conversation(store, user, 6)
    stored_before = _stored_messages(store, user)

    branch = store.fork_conversation(root, 4)

    assert _stored_messages(store, user) == stored_before
    assert _contents(store.get_messages(branch, limit=None)) == ["m1", "m2", "m3", "m4"]
    conversation = store.get_conversation(branch)
    assert conversation["message_count"] == 4
    assert (conversation["title"], conversation["metadata"]) == ("root", {"k": 1})
    assert {m["conversation_id"] for m in conversation["messages"]} == {branch}
    assert [m["seq"] for m in conversation["messages"]] == [1, 2, 3, 4]


def test_a_branch_grows_on_its_own_and_its_seqs_continue_after_the_fork(store, user):
    root = _conversation(store, user, 6)
    branch = store.fork_conversation(root, 3)

    added = store.add_messages(
        branch, [{"role": "user", "content": "b4"}, {"role": "assistant", "content": "b5"}]
    )

    assert [m["seq"] for m in added] == [4, 5]
    assert _contents(store.get_messages(branch, limit=None)) == ["m1", "m2", "m3", "b4", "b5"]
    assert _contents(store.get_messages(root, limit=None)) == [f"m{i}" for i in range(1, 7)]
    assert store.get_conversation(root)["message_count"] == 6
    assert store.get_conversation(branch)["message_count"] == 5


def test_pages_and_single_messages_cross_the_fork_point(store, user):
    root = _conversation(store, user, 8)
    branch = store.fork_conversation(root, 5)
    store.add_messages(branch, [{"role": "user", "content": f"b{i}"} for i in range(6, 10)])

    pages, before = [], None
    while page := store.get_messages(branch, limit=3, before_seq=before):
        pages.append(_contents(page))
        before = page[0]["seq"]

    assert pages == [["b7", "b8", "b9"], ["m4", "m5", "b6"], ["m1", "m2", "m3"]]
    assert store.get_message(branch, 2)["content"] == "m2"
    assert store.get_message(branch, 2)["conversation_id"] == branch
    assert store.get_message(branch, 6)["content"] == "b6"
    assert store.get_message(root, 6)["content"] == "m6"
    assert store.get_message(branch, 10) is None


def test_the_context_of_a_branch_continues_the_running_totals(store, user):
    root = store.create_conversation(user)
    store.add_message(root, "system", "be brief", tokens=7, pinned=True)
    store.add_messages(
        root, [{"role": "user", "content": f"m{i}", "tokens": 10} for i in range(2, 9)]
    )
    branch = store.fork_conversation(root, 6)
    store.add_messages(branch, [{"role": "user", "content": f"b{i}", "tokens": 10} for i in (7, 8)])

    context = store.get_recent_context(branch, max_tokens=57)

    assert _contents(context) == ["be brief", "m2", "m3", "m4", "m5", "m6", "b7", "b8"][:1] + [
        "m4",
        "m5",
        "m6",
        "b7",
        "b8",
    ]
    assert context[0]["suffix_tokens"] == 57
    assert {m["conversation_id"] for m in context} == {branch}
    assert _contents(store.get_recent_context(root, max_tokens=27)) == ["be brief", "m7", "m8"]


def test_a_context_that_starts_in_the_shared_part_keeps_tool_groups_whole(store, user):
    root = store.create_conversation(user)
    store.add_messages(
        root,
        [
            {"role": "user", "content": "ask", "tokens": 10},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
                "tokens": 10,
            },
            {"role": "tool", "content": "result", "tool_call_id": "c1", "tokens": 10},
        ],
    )
    branch = store.fork_conversation(root, 3)
    store.add_message(branch, "assistant", "answer", tokens=10)

    assert _contents(store.get_recent_context(branch, max_tokens=25)) == ["answer"]
    assert [m["seq"] for m in store.get_recent_context(branch, max_tokens=30)] == [2, 3, 4]


def test_stats_fingerprints_and_a_fork_of_a_fork(store, user):
    root = _conversation(store, user, 6)
    child = store.fork_conversation(root, 4)
    store.add_messages(child, [{"role": "user", "content": f"c{i}", "tokens": 5} for i in (5, 6)])
    grandchild = store.fork_conversation(child, 5)
    store.add_message(grandchild, "assistant", "g6", tokens=1)
    earlier = store.fork_conversation(child, 2)  # before the child's own fork point

    assert _contents(store.get_messages(grandchild, limit=None)) == [
        "m1",
        "m2",
        "m3",
        "m4",
        "c5",
        "g6",
    ]
    assert _contents(store.get_messages(earlier, limit=None)) == ["m1", "m2"]
    stats = store.get_conversation_stats(grandchild)
    assert (stats["message_count"], stats["total_tokens"]) == (6, 46)
    assert [f["seq"] for f in store.get_message_fingerprints(grandchild)] == [1, 2, 3, 4, 5, 6]
    assert _contents(store.get_recent_context(grandchild, max_tokens=16)) == ["m4", "c5", "g6"]
    place = store.get_branch(grandchild)
    assert (place["parent_id"], place["fork_seq"], place["root_id"], place["depth"]) == (
        child,
        5,
        root,
        2,
    )


def test_forks_of_a_conversation_with_deleted_messages_count_what_they_share(store, user):
    root = _conversation(store, user, 6)
    store.delete_messages(root, seqs=[2, 5])
    branch = store.fork_conversation(root, 4)

    assert store.get_conversation(branch)["message_count"] == 3
    store.add_message(branch, "user", "b5", tokens=10)
    assert [m["seq"] for m in store.get_messages(branch, limit=None)] == [1, 3, 4, 5]
    assert store.get_recent_context(branch, max_tokens=1000)[0]["suffix_tokens"] == 40


def test_edit_message_forks_and_leaves_the_original_intact(store, user):
    root = _conversation(store, user, 4)

    edited = store.edit_message(root, 3, {"role": "user", "content": "m3, edited", "tokens": 4})

    branch = edited["conversation_id"]
    assert branch != root and edited["seq"] == 3
    assert _contents(store.get_messages(branch, limit=None)) == ["m1", "m2", "m3, edited"]
    assert _contents(store.get_messages(root, limit=None)) == ["m1", "m2", "m3", "m4"]
    assert store.get_branch(root)["active_branch_id"] == branch
    assert store.get_branch(branch)["active_branch_id"] == branch


def test_regenerate_forks_before_the_message(store, user):
    root = _conversation(store, user, 4)

    branch = store.regenerate(root, 4)
    store.add_message(branch, "assistant", "another answer")

    assert _contents(store.get_messages(branch, limit=None)) == ["m1", "m2", "m3", "another answer"]
    assert store.get_branch(root)["active_branch_id"] == branch
    with pytest.raises(NotFound):
        store.regenerate(root, 9)
    with pytest.raises(NotFound):
        store.edit_message(str(uuid.uuid4()), 1, {"role": "user", "content": "x"})


def test_bad_forks_are_refused_and_write_nothing(store, user):
    root = _conversation(store, user, 3)
    taken = store.create_conversation(user)

    with pytest.raises(InvalidInput, match="past the last seq"):
        store.fork_conversation(root, 4)
    with pytest.raises(InvalidInput):
        store.fork_conversation(root, -1)
    with pytest.raises(NotFound):
        store.fork_conversation(str(uuid.uuid4()), 0)
    with pytest.raises(ConversationExists):
        store.fork_conversation(root, 1, branch_id=taken)
    with pytest.raises(InvalidInput):
        store.edit_message(root, 2, {"role": "wizard", "content": "x"})

    assert store.list_branches(root) == []
    assert len(store.get_conversation_tree(root)) == 1


def test_a_branch_may_share_nothing_and_take_a_chosen_id_title_and_metadata(store, user):
    root = _conversation(store, user, 3)

    branch = store.fork_conversation(
        root, 0, branch_id=f"thread-{uuid.uuid4()}", title="fresh", metadata={"from": "test"}
    )

    conversation = store.get_conversation(branch)
    assert conversation["messages"] == []
    assert (conversation["title"], conversation["metadata"]) == ("fresh", {"from": "test"})
    assert store.add_message(branch, "user", "first")["seq"] == 1


def test_shared_messages_are_frozen_on_both_sides(store, user):
    root = _conversation(store, user, 6)
    branch = store.fork_conversation(root, 4)
    store.add_message(branch, "user", "b5")
    before = (store.get_messages(root, limit=None), store.get_messages(branch, limit=None))

    for change in (
        lambda: store.delete_message(root, 2),
        lambda: store.replace_message(root, 4, {"role": "user", "content": "x"}),
        lambda: store.set_message_tokens(root, 1, 99),
        lambda: store.delete_messages(root, after_seq=3),
        lambda: store.delete_messages(root, seqs=[1, 6]),
        lambda: store.delete_messages(root),
        lambda: store.delete_message(branch, 4),
        lambda: store.replace_message(branch, 1, {"role": "user", "content": "x"}),
        lambda: store.delete_messages(branch, after_seq=2),
    ):
        with pytest.raises(BranchConflict):
            change()

    assert (store.get_messages(root, limit=None), store.get_messages(branch, limit=None)) == before


def test_what_is_not_shared_stays_editable_and_changes_no_branch(store, user):
    root = _conversation(store, user, 6)
    branch = store.fork_conversation(root, 3)
    store.add_messages(branch, [{"role": "user", "content": f"b{i}", "tokens": 10} for i in (4, 5)])

    store.replace_message(root, 5, {"role": "user", "content": "m5!", "tokens": 50})
    store.delete_message(root, 4)
    store.set_message_tokens(branch, 4, 30)
    assert store.pop_message(branch)["content"] == "b5"

    assert _contents(store.get_messages(root, limit=None)) == ["m1", "m2", "m3", "m5!", "m6"]
    assert _contents(store.get_messages(branch, limit=None)) == ["m1", "m2", "m3", "b4"]
    assert store.get_recent_context(branch, max_tokens=1000)[0]["suffix_tokens"] == 60
    assert store.get_recent_context(root, max_tokens=1000)[0]["suffix_tokens"] == 90
    assert store.pop_message(branch)["content"] == "b4"
    with pytest.raises(BranchConflict):
        store.pop_message(branch)  # its newest is now its parent's


def test_deleting_a_branch_keeps_what_it_shared(store, user):
    root = _conversation(store, user, 4)
    branch = store.fork_conversation(root, 2)
    store.add_message(branch, "user", "b3")

    assert store.delete_conversation(branch)

    assert _contents(store.get_messages(root, limit=None)) == ["m1", "m2", "m3", "m4"]
    assert store.get_conversation(branch) is None
    assert store.list_branches(root) == []
    store.delete_message(root, 1)  # no longer shared


def test_a_conversation_with_branches_is_deleted_only_with_them(store, user):
    root = _conversation(store, user, 4)
    child = store.fork_conversation(root, 2)
    grandchild = store.fork_conversation(child, 1)
    other = _conversation(store, user, 1)

    with pytest.raises(BranchConflict, match="with_branches"):
        store.delete_conversation(root)
    with pytest.raises(BranchConflict):
        store.delete_conversation(child)
    assert len(store.get_conversation_tree(root)) == 3

    assert store.delete_conversation(child, with_branches=True)
    assert [b["conversation_id"] for b in store.get_conversation_tree(root)] == [root]
    assert store.get_conversation(grandchild) is None
    assert store.delete_conversation(root)
    assert store.get_conversation(other) is not None


def test_erasing_a_user_removes_every_branch_and_counts_stored_messages(store, user):
    root = _conversation(store, user, 4)
    branch = store.fork_conversation(root, 3)
    store.add_message(branch, "user", "b4")
    store.fork_conversation(branch, 4)

    assert store.delete_user_data(user) == {"conversations": 3, "messages": 5}
    assert store.list_conversations(user) == []


def test_purging_an_inactive_tree_takes_its_branches_first(store, user):
    root = _conversation(store, user, 3)
    branch = store.fork_conversation(root, 2)
    store.fork_conversation(branch, 1)
    kept_root = _conversation(store, user, 2)
    time.sleep(0.3)
    active = store.fork_conversation(kept_root, 1)
    store.add_message(active, "user", "still here")

    deleted = store.purge_conversations(older_than=timedelta(seconds=0.2), batch_size=1)

    assert deleted["conversations"] >= 3 and deleted["messages"] >= 3
    assert store.get_conversation(root) is None
    assert _contents(store.get_messages(active, limit=None)) == ["m1", "still here"]
    assert store.get_conversation(kept_root)["message_count"] == 2


def test_search_finds_a_shared_message_once_with_the_branches_that_share_it(store, user):
    root = store.create_conversation(user)
    store.add_messages(
        root,
        [{"role": "user", "content": "granite tiles"}, {"role": "assistant", "content": "slate"}],
    )
    first = store.fork_conversation(root, 1)
    second = store.fork_conversation(root, 2)
    store.add_message(first, "assistant", "marble tiles")

    hits = store.search_messages(user, "tiles")
    shared = [hit for hit in hits if hit["conversation_id"] == root]
    assert len(hits) == 2 and len(shared) == 1
    assert shared[0]["seq"] == 1
    assert shared[0]["branch_ids"] == sorted([first, second])
    own = next(hit for hit in hits if hit["conversation_id"] == first)
    assert own["branch_ids"] == []

    within = store.search_messages(user, "tiles", conversation_id=first)
    assert sorted((hit["conversation_id"], hit["seq"]) for hit in within) == sorted(
        [(root, 1), (first, 2)]
    )
    assert [hit["seq"] for hit in store.search_messages(user, "slate", conversation_id=first)] == []
    assert [hit["seq"] for hit in store.search_messages(user, "slate", conversation_id=second)] == [
        2
    ]


def test_navigation_and_the_active_branch(store, user):
    root = _conversation(store, user, 4)
    late = store.fork_conversation(root, 3)
    early = store.fork_conversation(root, 1)
    deep = store.fork_conversation(late, 3)

    assert store.get_branch(root) == {
        "conversation_id": root,
        "parent_id": None,
        "fork_seq": None,
        "root_id": root,
        "depth": 0,
        "active_branch_id": root,
    }
    assert [b["conversation_id"] for b in store.list_branches(root)] == [early, late]
    assert [b["fork_seq"] for b in store.list_branches(root)] == [1, 3]
    tree = store.get_conversation_tree(deep)
    assert [(b["conversation_id"], b["depth"]) for b in tree] == [
        (root, 0),
        (early, 1),
        (late, 1),
        (deep, 2),
    ]
    assert tree[3]["parent_id"] == late and tree[3]["message_count"] == 3

    store.set_active_branch(deep)
    assert store.get_branch(early)["active_branch_id"] == deep
    store.set_active_branch(root)
    assert store.get_branch(deep)["active_branch_id"] == root
    store.set_active_branch(early)
    store.delete_conversation(early)
    assert store.get_branch(root)["active_branch_id"] == root

    missing = str(uuid.uuid4())
    assert store.get_branch(missing) is None
    assert store.list_branches(missing) == []
    assert store.get_conversation_tree(missing) == []
    with pytest.raises(NotFound):
        store.set_active_branch(missing)


def test_another_users_view_sees_no_branch(store, user):
    root = _conversation(store, user, 2)
    branch = store.fork_conversation(root, 1)
    stranger = store.for_user(f"stranger-{uuid.uuid4()}")

    assert stranger.get_messages(branch) == []
    assert stranger.get_branch(branch) is None
    assert stranger.get_conversation_tree(root) == []
    with pytest.raises(NotFound):
        stranger.fork_conversation(root, 1)
    with pytest.raises(NotFound):
        stranger.set_active_branch(branch)
    assert not stranger.delete_conversation(root, with_branches=True)
    assert store.for_user(user).get_messages(branch, limit=None)[0]["content"] == "m1"
