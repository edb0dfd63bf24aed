"""What a reader of a file format hands the import: each conversation of the
source as :meth:`convstore.Store.import_conversation` takes it, with where it
is in the source, so that an error names the place a user can open.

A reader (:mod:`convstore.transfer.jsonl` for convstore's own lines, one
module per foreign format) parses; :mod:`convstore.transfer.importing` writes,
the same way for every format.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class SourceConversation(NamedTuple):
    """One conversation of a source, ready to import."""

    where: str
    """Where the source holds it, for errors: ``"line 12"``,
    ``"conversations[3] (id 6f1c...)"``."""
    conversation: dict[str, Any]
    """An :class:`~convstore.types.ImportedConversation`; without ``user_id``
    when the source names no owner (the import gives it the user it is told)."""
    messages: list[tuple[str, dict[str, Any]]]
    """Its :class:`~convstore.types.ImportedMessage` in ``seq`` order, each
    with its place within ``where`` (``"messages[2]"``): a branch's own
    messages only, or all of them (those it shares with its parent are then
    checked against the parent's)."""
    active_branch_id: str | None = None
    """For a root: the branch of its tree to make active when that branch is
    imported (ChatGPT's ``current_node``); ``None``: the root."""
    conversation_path: str = ""
    """Where within ``where`` the source holds the conversation's fields, to
    name one in an error (``"convstore.conversation."``); ``""``: at the top."""
    extra_path: str | None = None
    """Where within ``where`` the source holds the members of the
    conversation's ``extra``, when not under ``conversation_path + "extra."``
    (an OpenAI line holds ``tools`` at the top: ``""``)."""
    part_of: str | None = None
    """For a branch the source holds within the entry of its root (a ChatGPT
    conversation's branches): the root's ``where``. A branch whose parent was
    refused in the same entry goes with it, without a report of its own;
    ``None``: an entry of its own (a line), reported alone."""


class SourceProblem(NamedTuple):
    """An entry of a source that cannot be imported, and why: the import stops
    there, or with ``skip_invalid`` reports it and goes on."""

    where: str
    """As :attr:`SourceConversation.where`."""
    reason: str
    """One line: what is wrong, naming the field (``"messages[2].role is missing"``)."""
