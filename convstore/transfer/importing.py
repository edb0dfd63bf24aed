"""The import of a source's conversations into a store, the same for every
format: each conversation a reader yields (:mod:`convstore.transfer.sources`)
is written in its own transaction by :meth:`convstore.Store.import_conversation`,
so it is idempotent (a conversation, or a message by its ``seq``, already there
is kept as it is) and what was committed before a failure stays committed.

A branch whose parent is not stored yet waits, in memory, until its parent
is imported (a convstore export lists conversations by activity, so a branch
may come first). A new root's active branch is chosen when that branch is imported.

A branch whose parent the import refused (with ``skip_invalid``: say another
user's conversation of that id) is left out too: without a word when the
source holds it within the same entry (a ChatGPT conversation's branches: its
report covers them), else reported as such, not as an orphan.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from tqdm import tqdm

from .. import validation
from ..errors import ConvstoreError, InvalidInput, NotFound
from ..store.store import Store
from .sources import SourceConversation, SourceProblem


class Imported(NamedTuple):
    """A conversation of the source, committed."""

    where: str
    """Where the source holds it (:attr:`SourceConversation.where`)."""
    conversations: int
    """1 if the conversation was new, else 0."""
    messages: int
    """How many of its messages were new."""


class Skipped(NamedTuple):
    """An entry of the source left out (with ``skip_invalid``): nothing of it is stored."""

    where: str
    reason: str


def index_for_search(store: Store, *, shown: bool) -> int:
    """Index what an import or a transfer wrote for search now
    (:meth:`~convstore.Store.index_pending_search`), rather than leave it to
    the first searches; with a progress bar on standard error when
    ``shown``. Returns how many messages it indexed; raises what that
    method raises."""
    with tqdm(desc="indexing for search", unit=" msg", disable=not shown, file=sys.stderr) as bar:

        def advance(indexed: int, waiting: int) -> None:
            bar.total = waiting
            bar.update(indexed - bar.n)

        return store.index_pending_search(on_progress=advance)


def import_source(
    store: Store,
    entries: Iterable[SourceConversation | SourceProblem],
    *,
    user_id: str | None = None,
    skip_invalid: bool = False,
) -> Iterator[Imported | Skipped]:
    """Import each entry of a reader into ``store``, yielding an
    :class:`Imported` as each conversation is committed (or a
    :class:`Skipped`), so a caller knows what is stored when a later one fails.
    Nothing is read or written until the iterator is advanced.

    ``user_id`` owns every conversation that does not name its owner (a
    foreign format has none); on a user-scoped view it may be left out.

    Without ``skip_invalid`` the first entry that cannot be imported stops
    the import; with it, that entry is skipped whole (none of its messages
    is stored) and reported, and the import goes on. Errors of the database
    that are not about the entry (say ``DatabaseUnavailable``) always stop it.

    :raises InvalidInput: for an entry that cannot be imported; the message
        starts with its place (``"line 3: messages[1].role is missing"``).
    :raises NotFound: at the end, for the first branch whose parent is
        neither in the source nor in the store.
    :raises ConvstoreError: any other error of the database, also starting
        with the entry's place; that entry is rolled back.
    """
    importer = _Importer(check_store(store), user_id, skip_invalid)
    try:
        iterator = iter(entries)
    except TypeError:
        raise InvalidInput(
            f"entries must be an iterable of what a reader yields, not {type(entries).__name__}"
        ) from None
    for entry in iterator:
        if not isinstance(entry, (SourceConversation, SourceProblem)):
            raise InvalidInput(
                f"each entry must be a SourceConversation or a SourceProblem, not {type(entry).__name__}"
            )
        if isinstance(entry, SourceProblem):
            yield importer.refused(entry.where, InvalidInput(entry.reason))
        else:
            yield from importer.imported_with_waiting(entry)
    yield from importer.orphans()


def check_store(store: Any) -> Store:
    """``store``, if it is a :class:`~convstore.Store`.

    :raises InvalidInput: otherwise.
    """
    if not isinstance(store, Store):
        raise InvalidInput(f"store must be a convstore Store, not {type(store).__name__}")
    return store


class _Importer:
    def __init__(self, store: Store, user_id: str | None, skip_invalid: bool) -> None:
        self.store = store
        self.user_id = user_id
        self.skip_invalid = skip_invalid
        self.waiting: dict[str, list[SourceConversation]] = {}
        """Branches by the parent they wait for."""
        self.showing: set[str] = set()
        """The active branches of new roots, still to come."""
        self.not_imported: dict[str, str] = {}
        """The conversations of the source refused, or left out with their
        parents, each with the entry of the source that holds it
        (:func:`_entry_of`)."""

    def refused(self, where: str, error: ConvstoreError) -> Skipped:
        """A :class:`Skipped` for the entry at ``where`` (with
        ``skip_invalid``), or ``error`` raised, naming the place."""
        if not self.skip_invalid:
            raise type(error)(f"{where}: {error}") from error
        return Skipped(where, str(error))

    def imported_with_waiting(self, entry: SourceConversation) -> Iterator[Imported | Skipped]:
        """Import ``entry``, then the branches that waited for it."""
        ready = [entry]
        while ready:
            current = ready.pop(0)
            conversation = dict(current.conversation)
            if self.user_id is not None:
                conversation.setdefault("user_id", self.user_id)
            messages = [message for _, message in current.messages]
            try:
                result = self.store.import_conversation(conversation, messages)
            except NotFound:  # only a branch's parent can be missing
                parent_id = _id_of(conversation["parent_id"])
                if parent_id in self.not_imported:
                    yield from self._without_parent(current, parent_id)
                    yield from self._left_out(current)
                else:
                    self.waiting.setdefault(parent_id, []).append(current)
                continue
            except InvalidInput as error:
                yield self.refused(current.where, type(error)(_in_source(str(error), current)))
                yield from self._left_out(current)
                continue
            except ConvstoreError as error:
                raise type(error)(f"{current.where}: {_in_source(str(error), current)}") from error
            conversation_id = _id_of(conversation["id"])
            if result.created and current.active_branch_id is not None:
                self.showing.add(_id_of(current.active_branch_id))
            if conversation_id in self.showing:
                self.store.set_active_branch(conversation_id)
                self.showing.discard(conversation_id)
            yield Imported(current.where, int(result.created), result.messages)
            ready += self.waiting.pop(conversation_id, [])

    def _left_out(self, entry: SourceConversation) -> Iterator[Skipped]:
        """Note that ``entry`` is not imported, nor the branches that wait for
        it, nor theirs (a loop: branches may nest thousands deep)."""
        left_out = [entry]
        while left_out:
            current = left_out.pop()
            given_id = current.conversation.get("id")
            if not isinstance(given_id, str):
                continue
            conversation_id = _id_of(given_id)
            self.not_imported[conversation_id] = _entry_of(current)
            for branch in self.waiting.pop(conversation_id, []):
                yield from self._without_parent(branch, conversation_id)
                left_out.append(branch)

    def _without_parent(self, branch: SourceConversation, parent_id: str) -> Iterator[Skipped]:
        """The report of ``branch``, whose parent is not imported, unless the
        source holds it in the parent's entry (whose report covers it)."""
        parent_entry = self.not_imported[parent_id]
        if _entry_of(branch) != parent_entry:
            error = InvalidInput(
                f"{branch.conversation_path}parent_id: conversation {parent_id} was not "
                f"imported ({parent_entry} was skipped)"
            )
            yield self.refused(branch.where, error)

    def orphans(self) -> Iterator[Skipped]:
        """The branches still waiting at the end: their parents were on no
        entry (or skipped) and are not in the store."""
        for parent_id, branches in self.waiting.items():
            for branch in branches:
                error = NotFound(
                    f"{branch.conversation_path}parent_id: conversation {parent_id} is "
                    "neither in the store nor imported from the source; import it before "
                    "its branches"
                )
                yield self.refused(branch.where, error)


def _entry_of(entry: SourceConversation) -> str:
    """The entry of the source that holds ``entry``: where it starts."""
    return entry.where if entry.part_of is None else entry.part_of


def _id_of(conversation_id: str) -> str:
    """The UUID a conversation id stands for (checked by the import)."""
    try:
        return validation.conversation_id(conversation_id)
    except InvalidInput:
        return conversation_id


GIVEN_MESSAGE = re.compile(r"messages\[(\d+)\]: ")
"""How :meth:`~convstore.Store.import_conversation` starts the reason of a
message it refuses (its docstring's promise)."""


def _in_source(reason: str, entry: SourceConversation) -> str:
    """A reason of :meth:`~convstore.Store.import_conversation` in the terms of
    the source: the store names a conversation's field ``conversation.<field>``
    and a message ``messages[i]: `` by its index in the list it was given
    (the entry says where the source holds each)."""
    if reason.startswith("conversation.extra.") and entry.extra_path is not None:
        return f"{entry.extra_path}{reason.removeprefix('conversation.extra.')}"
    if reason.startswith("conversation."):
        return f"{entry.conversation_path}{reason.removeprefix('conversation.')}"
    given = GIVEN_MESSAGE.match(reason)
    if given is None:
        return reason
    return f"{entry.messages[int(given.group(1))][0]}: {reason[given.end() :]}"
