"""Trees of branches against a plain-Python model, on both databases: random
appends, forks, edits, token changes, deletes and pops, then every branch's
messages and budgeted context are checked against the model's."""

from __future__ import annotations

import contextlib
import itertools
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convstore import BranchConflict

from .test_recent_context_property import Stored, _budgets_worth_trying, reference_context


@dataclass
class Branch:
    """A conversation of the model: what it shows (its whole history), its
    parent and fork point."""

    conversation_id: str
    history: list[Stored] = field(default_factory=list)
    contents: dict[int, str] = field(default_factory=dict)
    parent: Branch | None = None
    fork_seq: int = 0
    last_seq: int = 0
    children: list[Branch] = field(default_factory=list)

    def frozen_through(self) -> int:
        """The highest seq it cannot change: what it shares with its
        parent, and what its branches share of it."""
        return max([self.fork_seq, *(child.fork_seq for child in self.children)])

    def subtree(self) -> list[Branch]:
        return [self, *(member for child in self.children for member in child.subtree())]


class Model:
    def __init__(self, store, user):
        self.store = store
        self.user = user
        self.branches: list[Branch] = [Branch(store.create_conversation(user))]
        self.names = (f"c{n}" for n in itertools.count())

    def pick(self, position: int) -> Branch | None:
        return self.branches[position % len(self.branches)] if self.branches else None

    def append(self, branch: Branch, role: str, tokens: int | None, pinned: bool) -> None:
        content = next(self.names)
        stored = self.store.add_message(
            branch.conversation_id,
            role,
            content,
            tokens=tokens,
            pinned=pinned,
            tool_call_id="call_1" if role == "tool" else None,
        )
        assert stored["seq"] == branch.last_seq + 1
        branch.last_seq = stored["seq"]
        branch.history.append(Stored(stored["seq"], role, stored["tokens"], pinned))
        branch.contents[stored["seq"]] = content

    def fork(self, parent: Branch, at_seq: int) -> Branch:
        conversation_id = self.store.fork_conversation(parent.conversation_id, at_seq)
        return self._branch(conversation_id, parent, at_seq)

    def edit(self, parent: Branch, message: Stored, role: str, tokens, pinned) -> None:
        content = next(self.names)
        edited = self.store.edit_message(
            parent.conversation_id,
            message.seq,
            {
                "role": role,
                "content": content,
                "tokens": tokens,
                "pinned": pinned,
                "tool_call_id": "call_1" if role == "tool" else None,
            },
        )
        branch = self._branch(edited["conversation_id"], parent, message.seq - 1)
        branch.history.append(Stored(message.seq, role, edited["tokens"], pinned))
        branch.contents[message.seq] = content
        branch.last_seq = message.seq

    def _branch(self, conversation_id: str, parent: Branch, at_seq: int) -> Branch:
        branch = Branch(
            conversation_id,
            history=[
                Stored(m.seq, m.role, m.tokens, m.pinned) for m in parent.history if m.seq <= at_seq
            ],
            contents={seq: text for seq, text in parent.contents.items() if seq <= at_seq},
            parent=parent,
            fork_seq=at_seq,
            last_seq=at_seq,
        )
        parent.children.append(branch)
        self.branches.append(branch)
        return branch

    def delete(self, branch: Branch, with_branches: bool) -> None:
        if branch.children and not with_branches:
            with pytest.raises(BranchConflict):
                self.store.delete_conversation(branch.conversation_id)
            return
        assert self.store.delete_conversation(branch.conversation_id, with_branches=with_branches)
        gone = branch.subtree()
        self.branches = [b for b in self.branches if b not in gone]
        if branch.parent is not None:
            branch.parent.children.remove(branch)

    def set_tokens(self, branch: Branch, message: Stored, tokens: int | None) -> None:
        updated = self.store.set_message_tokens(branch.conversation_id, message.seq, tokens)
        message.tokens = updated["tokens"]  # an estimate again for None

    def delete_message(self, branch: Branch, message: Stored) -> None:
        assert self.store.delete_message(branch.conversation_id, message.seq)
        branch.history.remove(message)

    def pop(self, branch: Branch) -> None:
        assert self.store.pop_message(branch.conversation_id)["seq"] == branch.history[-1].seq
        branch.history.pop()

    def check(self, extra_budgets: list[int]) -> None:
        for branch in self.branches:
            stored = self.store.get_messages(branch.conversation_id, limit=None)
            assert [(m["seq"], m["content"]) for m in stored] == [
                (m.seq, branch.contents[m.seq]) for m in branch.history
            ]
            assert self.store.get_conversation(branch.conversation_id)["message_count"] == len(
                branch.history
            )
            for max_tokens in sorted(_budgets_worth_trying(branch.history, extra_budgets)):
                for keep_tool_groups in (True, False):
                    context = self.store.get_recent_context(
                        branch.conversation_id, max_tokens, keep_tool_groups
                    )
                    assert [m["seq"] for m in context] == reference_context(
                        branch.history, max_tokens, keep_tool_groups
                    ), (max_tokens, keep_tool_groups)


token_count = st.one_of(st.none(), st.integers(0, 3), st.integers(0, 300))
roles = st.sampled_from(["user", "assistant", "tool", "system"])
pinned = st.sampled_from([False, False, False, True])
position = st.integers(0, 10**6)
operation = st.one_of(
    st.tuples(st.just("append"), position, roles, token_count, pinned),
    st.tuples(st.just("append"), position, roles, token_count, pinned),
    st.tuples(st.just("fork"), position, position),
    st.tuples(st.just("edit"), position, position, roles, token_count, pinned),
    st.tuples(st.just("set_tokens"), position, position, token_count),
    st.tuples(st.just("delete_message"), position, position),
    st.tuples(st.just("pop"), position),
    st.tuples(st.just("delete"), position, st.booleans()),
)


def _refusal_if(branch: Branch, message: Stored) -> Any:
    """Expect BranchConflict (and so no change to the model) where the model
    says ``message`` is shared: with its parent, or with a branch of its own."""
    if message.seq <= branch.frozen_through():
        return pytest.raises(BranchConflict)
    return contextlib.nullcontext()


@settings(
    max_examples=int(os.environ.get("CONVSTORE_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    operations=st.lists(operation, max_size=25),
    extra_budgets=st.lists(st.integers(0, 3000), max_size=2),
)
def test_every_branch_matches_the_model(store, user, operations, extra_budgets):
    model = Model(store, user)
    for kind, where, *arguments in operations:
        branch = model.pick(where)
        if branch is None:
            break
        if kind == "append":
            model.append(branch, *arguments)
        elif kind == "fork":
            model.fork(branch, arguments[0] % (branch.last_seq + 1))
        elif kind == "delete":
            model.delete(branch, with_branches=arguments[0])
        elif not branch.history:
            continue
        elif kind == "edit":
            message = branch.history[arguments[0] % len(branch.history)]
            model.edit(branch, message, *arguments[1:])
        elif kind == "set_tokens":
            message = branch.history[arguments[0] % len(branch.history)]
            with _refusal_if(branch, message):
                model.set_tokens(branch, message, arguments[1])
        elif kind == "delete_message":
            message = branch.history[arguments[0] % len(branch.history)]
            with _refusal_if(branch, message):
                model.delete_message(branch, message)
        elif kind == "pop":
            with _refusal_if(branch, branch.history[-1]):
                model.pop(branch)
    model.check(extra_budgets)
