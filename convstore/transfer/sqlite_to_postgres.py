"""Moving data from SQLite to PostgreSQL: fast (``COPY``), idempotent and
resumable, in bounded memory, and verified at the end.

Conversations are copied in id order (the roots, then the branches, each
after its parent: a branch keeps its place in its tree and shares its
ancestors' messages at the destination as at the source), a page at a time; each page is one
destination transaction, so an interrupted run (even ``kill -9``) leaves whole
pages behind and the next run carries on. A conversation already at the
destination gets only the messages after its last ``seq`` there, so running
again copies nothing twice. Rows keep their ids, ``seq``, running totals,
timestamps (UTC, as stored), tool-call fields, metadata, ``extra``, ``kind``,
``payload`` and ``fingerprint`` (as stored: ``None`` for a row written before
convstore kept fingerprints stays ``None``) exactly. The attachments the
copied messages reference go with them, in the same transaction: the bytes of
those the destination lacks (each once per user, as stored), and every
reference.
Messages edited or deleted at the source after they were copied are not
propagated (a root's active branch is); the verification reports such conversations.

Each page's conversations and their messages are read from the source in one
read transaction, so a message appended while the transfer runs is either
copied with the counters that count it or left, whole, to the next run.
A conversation whose id the destination holds for another user is never
written to: the transfer reports it under ``conflicting`` and copies the rest.
The verification compares each conversation's owner, fields and counters as
well as its messages and the attachments they reference (owner, media type,
size and a SHA-256 of the bytes).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tqdm import tqdm

from .. import validation
from ..connect import connect
from ..errors import ConfigurationError
from ..migrate import migrate
from ..store.store import Store
from ..types import CONVERSATION_FIELDS, MESSAGE_FIELDS, POSTGRES, SQLITE
from ..urls import DatabaseURL
from .importing import index_for_search

logger = logging.getLogger("convstore")

PAGE_SIZE = 500
"""Conversations per destination transaction."""


@dataclass
class TransferReport:
    conversations_copied: int = 0
    messages_copied: int = 0
    attachments_copied: int = 0
    """Attachments the destination lacked (a conversation's messages may
    reference attachments an earlier page or run copied, or the destination's
    own writes stored: those are not copied again)."""
    conversations_checked: int = 0
    mismatched: list[str] = field(default_factory=list)
    """Conversations that differ between the two sides: in owner, fields,
    counters, message count or message checksum (or missing at the destination)."""
    conflicting: list[str] = field(default_factory=list)
    """Source conversations whose id the destination holds for another user;
    nothing was written to them."""

    @property
    def verified(self) -> bool:
        return not self.mismatched and not self.conflicting


def transfer(
    source_url: str | DatabaseURL,
    destination_url: str | DatabaseURL,
    *,
    verify: bool = True,
    progress: bool = False,
    page_size: int = PAGE_SIZE,
) -> TransferReport:
    """Copy every conversation and message of the SQLite database at
    ``source_url`` into the PostgreSQL database at ``destination_url``
    (migrated first if needed), index the copied messages for search
    (:meth:`~convstore.Store.index_pending_search`), then verify both sides
    agree.

    A conversation whose id the destination already holds for another user
    is left alone and listed in ``conflicting``; the rest is copied."""
    source_url, destination_url = _urls(source_url, destination_url)
    page_size = validation.count("page_size", page_size, minimum=1)
    migrate(destination_url)
    report = TransferReport()
    with (
        connect(source_url) as source,
        connect(destination_url, statement_timeout=3600) as destination,
    ):
        totals = _run(source, "source_totals")[0]
        with _progress(progress, totals["messages"], "copying") as bar:

            def copy(page: list[dict[str, Any]]) -> None:
                _copy_page(source, destination, page, report)
                bar.update(sum(c["message_count"] - c["inherited_messages"] for c in page))

            _each_page(source, page_size, copy)
        index_for_search(destination, shown=progress)
        if verify:
            _verify(source, destination, report, progress, totals["conversations"])
    return report


def verify_transfer(
    source_url: str | DatabaseURL, destination_url: str | DatabaseURL, *, progress: bool = False
) -> TransferReport:
    """Only compare both sides: per conversation its owner, fields and
    counters, its message count and a checksum of its messages."""
    source_url, destination_url = _urls(source_url, destination_url)
    report = TransferReport()
    with connect(source_url) as source, connect(destination_url) as destination:
        conversations = _run(source, "source_totals")[0]["conversations"]
        _verify(source, destination, report, progress, conversations)
    return report


def _urls(
    source_url: str | DatabaseURL, destination_url: str | DatabaseURL
) -> tuple[DatabaseURL, DatabaseURL]:
    source, destination = DatabaseURL.of(source_url), DatabaseURL.of(destination_url)
    if source.dialect != SQLITE or destination.dialect != POSTGRES:
        raise ConfigurationError("transfer copies from a sqlite:/// URL to a postgresql:// URL")
    return source, destination


# -- copying -----------------------------------------------------------------------------


def _each_page(
    source: Store, page_size: int, handle: Callable[[list[dict[str, Any]]], None]
) -> None:
    """Call ``handle`` with each page of source conversations -- the roots in
    id order, then the branches, each after its parent (by depth, then id) --
    inside a read transaction on the source: the page and whatever ``handle``
    reads from the source (its messages) are one snapshot, so the counters
    read with a conversation count exactly the messages read with it."""
    for query_name, after in (
        ("source_conversations", {"after_id": ""}),
        ("source_branches", {"after_depth": 0, "after_id": ""}),
    ):
        while True:
            with source.database.transaction(write=False):
                page = _run(source, query_name, limit=page_size, order_offset=ORDER_OFFSET, **after)
                if not page:
                    break
                depths = [conversation.pop("branch_depth", 0) for conversation in page]
                handle(page)
            after = {**after, "after_depth": depths[-1], "after_id": page[-1]["id"]}
            if query_name == "source_conversations":
                del after["after_depth"]


def _copy_page(
    source: Store, destination: Store, page: list[dict[str, Any]], report: TransferReport
) -> None:
    ids = [conversation["id"] for conversation in page]
    database = destination.database
    with database.transaction():
        _run(destination, "lock_destination")  # another transfer's page commits first
        states = _run(destination, "destination_state", ids=json.dumps(ids))
        present = {row["id"]: row for row in states}
        new: list[dict[str, Any]] = []
        grown: list[dict[str, Any]] = []
        rechosen: list[dict[str, Any]] = []
        conflicting: list[str] = []
        for conversation in page:
            there = present.get(conversation["id"])
            if there is None:
                new.append(conversation)
            elif there["user_id"] != conversation["user_id"]:
                # The same id under another owner is another user's conversation,
                # not an earlier copy of this one: never written to, only reported.
                conflicting.append(conversation["id"])
            else:
                if conversation["last_seq"] > there["last_seq"]:
                    grown.append(conversation)
                if conversation["active_branch_id"] != there["active_branch_id"]:
                    rechosen.append(conversation)
        database.copy_rows("transfer.copy_conversations", map(_copy_row, new))
        branches = [c["id"] for c in new if c["parent_id"] is not None]
        if branches:
            ancestry = _run(source, "source_ancestors", ids=json.dumps(branches))
            database.copy_rows("transfer.copy_conversation_ancestors", map(_copy_row, ancestry))
            _run(destination, "raise_shared_bounds", branch_ids=json.dumps(branches))
        for conversation in grown:
            _run(destination, "advance_conversation", **_counters(conversation))
        for conversation in rechosen:
            _run(
                destination,
                "choose_active_branch",
                id=conversation["id"],
                active_branch_id=conversation["active_branch_id"],
            )
        after_seqs = dict.fromkeys((c["id"] for c in new), 0)
        after_seqs.update((c["id"], present[c["id"]]["last_seq"]) for c in grown)
        with _source_messages(source, after_seqs) as messages:
            messages_copied = database.copy_rows("transfer.copy_messages", map(_copy_row, messages))
        attachments_copied = _copy_attachments(source, destination, after_seqs)
    logger.info(
        "transfer: committed a page of %d conversations up to %s: %d new, %d grown, "
        "%d messages copied",
        len(page),
        ids[-1],
        len(new),
        len(grown),
        messages_copied,
    )
    for conversation_id in conflicting:
        logger.warning(
            "transfer: conversation %s is another user's at the destination; not copied",
            conversation_id,
        )
    report.conversations_copied += len(new)
    report.messages_copied += messages_copied
    report.attachments_copied += attachments_copied
    report.conflicting += conflicting


def _copy_attachments(source: Store, destination: Store, after_seqs: dict[str, int]) -> int:
    """Inside a page's transactions, once its messages are copied: the
    attachments they reference that the destination lacks, and the
    references; how many attachments were copied."""
    seqs_json = json.dumps(after_seqs)
    referenced = _run(source, "source_attachment_keys", after_seqs=seqs_json) if after_seqs else []
    if not referenced:
        return 0
    there = _run(destination, "destination_attachments", attachments=json.dumps(referenced))
    held = {(row["user_id"], row["sha256"]) for row in there}
    lacking = [row for row in referenced if (row["user_id"], row["sha256"]) not in held]
    copied = 0
    if lacking:
        with source.database.stream(
            "transfer.source_attachments", attachments=json.dumps(lacking)
        ) as rows:
            copied = destination.database.copy_rows(
                "transfer.copy_attachments", map(_copy_row, rows)
            )
    with source.database.stream(
        "transfer.source_message_attachments", after_seqs=seqs_json
    ) as links:
        destination.database.copy_rows("transfer.copy_message_attachments", map(_copy_row, links))
    return copied


def _source_messages(
    source: Store, after_seqs: dict[str, int]
) -> AbstractContextManager[Iterator[dict[str, Any]]]:
    """The messages of some conversations after a seq of each, streamed on
    the source's open transaction if there is one."""
    if not after_seqs:
        return nullcontext(iter(()))
    return source.database.stream(
        "transfer.source_messages", after_seqs=json.dumps(after_seqs), order_offset=ORDER_OFFSET
    )


def _copy_row(row: dict[str, Any]) -> tuple[Any, ...]:
    """A source row as COPY takes it: the source queries return the COPY's
    columns in its order (JSON and times as the text SQLite stores)."""
    return tuple(row.values())


ORDER_OFFSET = -(2**62)
"""Added to the source's order of writes (SQLite's counter, from 1; rows
written before sqlite_0008 at 0 and below): copied rows keep their order
among themselves, before every row the destination's sequence numbered (from
1), as pg_0016 placed the rows written before it."""


def _counters(conversation: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": conversation["id"],
        "updated_at": conversation["updated_at_text"],
        "last_seq": conversation["last_seq"],
        "message_count": conversation["message_count"],
        "total_tokens": conversation["total_tokens"],
        "pinned_tokens": conversation["pinned_tokens"],
        "activity_order": conversation["activity_order"],
    }


# -- verifying ---------------------------------------------------------------------------


def _verify(
    source: Store, destination: Store, report: TransferReport, progress: bool, total: int
) -> None:
    with _progress(progress, total, "verifying") as bar:

        def compare(page: list[dict[str, Any]]) -> None:
            ids = [conversation["id"] for conversation in page]
            ids_json = json.dumps(ids)
            with _source_messages(source, dict.fromkeys(ids, 0)) as messages:
                expected = _states(page, messages)
            with source.database.stream("transfer.source_attachment_links", ids=ids_json) as links:
                expected_links = _link_checksums(links)
            # One snapshot of the destination too (REPEATABLE READ).
            database = destination.database
            with database.transaction(write=False):
                arrived = _run(destination, "destination_conversations", ids=ids_json)
                with database.stream("transfer.destination_messages", ids=ids_json) as messages:
                    actual = _states(arrived, messages)
                with database.stream(
                    "transfer.destination_attachment_links", ids=ids_json
                ) as links:
                    actual_links = _link_checksums(links)
            for conversation_id in ids:
                difference = _difference(expected[conversation_id], actual.get(conversation_id))
                if difference is None and (
                    expected_links.get(conversation_id) != actual_links.get(conversation_id)
                ):
                    difference = "the attachments its messages reference"
                if difference is not None:
                    logger.warning(
                        "transfer verification: conversation %s differs: %s",
                        conversation_id,
                        difference,
                    )
                    report.mismatched.append(conversation_id)
            report.conversations_checked += len(ids)
            bar.update(len(ids))

        _each_page(source, PAGE_SIZE, compare)


def _states(
    conversations: list[dict[str, Any]], messages: Iterator[dict[str, Any]]
) -> dict[str, tuple[list[Any], int, str]]:
    """Per conversation: its owner, fields and counters, its message count and
    a checksum of its messages, in forms both databases agree on."""
    checksums = _checksums(messages)
    empty = (0, hashlib.sha256().hexdigest())
    return {
        str(c["id"]): (_conversation_fields(c), *checksums.get(str(c["id"]), empty))
        for c in conversations
    }


def _difference(
    source: tuple[list[Any], int, str], destination: tuple[list[Any], int, str] | None
) -> str | None:
    """How a conversation's state at the destination differs from the
    source's (:func:`_states`), in words without its values; ``None`` if alike."""
    if destination is None:
        return "missing at the destination"
    if source[0] != destination[0]:
        return "its owner, fields or counters"
    if source[1] != destination[1]:
        return f"{source[1]} messages at the source, {destination[1]} at the destination"
    if source[2] != destination[2]:
        return "the fields of its messages"
    return None


VERIFIED_CONVERSATION_FIELDS = (
    *(field for field in CONVERSATION_FIELDS if field != "id"),
    *("total_tokens", "pinned_tokens", "active_branch_id"),
)
"""What the verification compares of a conversation: its public fields
(:class:`~convstore.types.Conversation`, ``last_seq`` included), the
counters behind the token budget and the active branch of a tree's root."""

VERIFIED_MESSAGE_FIELDS = (
    *(field for field in MESSAGE_FIELDS if field != "conversation_id"),
    *("tokens_before", "fingerprint", "content_parts"),
)
"""What it compares of a message: every public field
(:class:`~convstore.types.Message`: its ``kind`` and ``payload`` too), the
running total behind the budget, the fingerprint of what it says and the
parts of a content given as parts (``content`` is then their text)."""


def _conversation_fields(conversation: dict[str, Any]) -> list[Any]:
    return [_comparable(conversation, field) for field in VERIFIED_CONVERSATION_FIELDS]


def _checksums(messages: Any) -> dict[str, tuple[int, str]]:
    """Per conversation: message count and a SHA-256 of every message's fields,
    in forms both databases agree on."""
    digests: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for message in messages:
        conversation_id = str(message["conversation_id"])
        digest = digests.setdefault(conversation_id, hashlib.sha256())
        counts[conversation_id] = counts.get(conversation_id, 0) + 1
        canonical = [_comparable(message, field) for field in VERIFIED_MESSAGE_FIELDS]
        digest.update(json.dumps(canonical, sort_keys=True, default=str).encode())
    return {key: (counts[key], digest.hexdigest()) for key, digest in digests.items()}


def _link_checksums(links: Iterator[dict[str, Any]]) -> dict[str, str]:
    """Per conversation that references attachments: a SHA-256 of each
    reference (seq, SHA-256) with its attachment's owner, media type, size
    and a SHA-256 of its bytes, in the order read."""
    digests: dict[str, Any] = {}
    for link in links:
        digest = digests.setdefault(str(link["conversation_id"]), hashlib.sha256())
        fields = [link[field] for field in ("seq", "sha256", "user_id", "media_type", "byte_size")]
        fields.append(hashlib.sha256(link["data"]).hexdigest())
        digest.update(json.dumps(fields).encode())
    return {key: digest.hexdigest() for key, digest in digests.items()}


def _comparable(row: dict[str, Any], field: str) -> Any:
    """``field`` of a row of either side, in a form both agree on: JSON as
    SQLite stores it (text, in ``<field>_json``) or as psycopg returns it
    (parsed); a time as SQLite stores it (text, in ``<field>_text``) or as
    a ``datetime`` (in UTC)."""
    if f"{field}_json" in row:
        return json.loads(row[f"{field}_json"] or "null")
    if f"{field}_text" in row:
        return _utc(row[f"{field}_text"])
    value = row[field]
    return _utc(value) if isinstance(value, datetime) else value


def _utc(value: str | datetime) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(timezone.utc).isoformat()


# -- plumbing ----------------------------------------------------------------------------


def _run(store: Store, name: str, **params: Any) -> list[dict[str, Any]]:
    return store.database.run(f"transfer.{name}", **params)


def _progress(shown: bool, total: int, label: str) -> tqdm:
    """A progress bar on stderr, or one that shows nothing."""
    unit = " msg" if label == "copying" else " conv"
    return tqdm(total=total, desc=label, unit=unit, disable=not shown)
