"""The public API: one :class:`Store`, the same on SQLite and PostgreSQL.

Every method runs named queries from ``sql/<dialect>/`` through the query
runner and returns JSON-ready plain values: dicts, ``str`` ids, timezone-aware
UTC datetimes, metadata as dicts. Arguments are checked before anything is
written; a failed call leaves the database as it was.

Reads of a conversation that does not exist return ``None`` or an empty list;
writes to one raise :class:`~convstore.errors.NotFound`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import timedelta
from typing import Any, cast

from .. import validation
from ..content import attachments, search_query, snippets
from ..content.json_merge_patch import merge_patch
from ..db.base import Database, Tracer, logger
from ..errors import (
    BranchConflict,
    ConversationExists,
    ConvstoreError,
    DatabaseError,
    DatabaseUnavailable,
    DuplicateIdempotencyKey,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
)
from ..sqlfiles.catalog import is_public
from ..types import (
    IMPORTED_CONVERSATION_FIELDS,
    REQUIRED_IMPORTED_CONVERSATION_FIELDS,
    UNCHANGED,
    Attachment,
    AttachmentReads,
    Branch,
    BranchPlace,
    Content,
    ContextMessage,
    Conversation,
    ConversationHit,
    ConversationStats,
    ConversationWithMessages,
    DeletionCounts,
    ImportedConversation,
    ImportedMessage,
    ImportResult,
    Message,
    MessageFingerprint,
    MessageHit,
    MetadataMatch,
    NewMessage,
    TextMatch,
    TreeBranch,
    Unchanged,
    UserStats,
    UserSummary,
)
from ..validation import CHAT_MESSAGE, DEFAULT_LIMITS, Limits

ENSURE_ROUNDS = 5
"""How often ``ensure_conversation`` tries to create or find a conversation
that is deleted between the two each time before it gives up."""

BATCH_JSON_BYTES = 64 * 1024 * 1024
"""The most UTF-8 bytes of JSON ``add_messages`` sends in one statement; a
larger batch is split into several statements of one transaction."""

SEARCH_INDEXING_BATCH = 500
"""The most messages :meth:`Store.index_pending_search` indexes in one
transaction (a search's indexing of its user's messages, too)."""

SEARCH_INDEXING_BYTES = 1_000_000
"""The UTF-8 bytes of text after which a transaction of
:meth:`Store.index_pending_search` indexes no more messages (it indexes at
least one), so that none holds SQLite's write lock for long nor nears a
statement timeout, whatever the messages hold. Building PostgreSQL's
vectors costs up to about 2.3 us a byte (measured on text whose characters
fold to several words, such as U+3316; CJK text without spaces about 0.5,
ASCII words about 0.2), so a transaction takes about 3 s at most there (the
last message may add up to 400,000 bytes more: a message's first 100,000
characters are indexed); SQLite's are faster."""

SEARCH_TURN_RETRY = 0.05
"""Seconds between tries for a user's turn to index (PostgreSQL), while
another session indexes that user's messages."""


class Store:
    """Conversations and their messages in one database.

    Thread-safe: each call takes a connection from the pool for its own use.
    Use it as a context manager, or call :meth:`close`, to release the connections.
    """

    def __init__(
        self,
        database: Database,
        limits: Limits = DEFAULT_LIMITS,
        *,
        user_id: str | None = None,
    ) -> None:
        self.database = database
        self.limits = limits
        self.user_id = user_id
        """The only owner this store's calls can reach (see :meth:`for_user`), or ``None``."""

    def for_user(self, user_id: str) -> Store:
        """A view of this store limited to ``user_id``'s conversations.

        Every call of the view is limited in its SQL: another user's
        conversation behaves exactly like a missing one. On PostgreSQL each
        call also names the user to the row-level security policies, so even
        SQL of your own run through :meth:`connection` sees only that user's
        rows (see the README's "Isolation"). The view shares this store's
        connections; closing it closes nothing.

        :raises InvalidInput: for a bad user id, or on a view, for another user.
        """
        return Store(self.database, self.limits, user_id=self._owner(user_id))

    def _owner(self, user_id: str | None, field: str = "user_id") -> str:
        """The user a call is about (named ``field`` in errors); on a
        user-scoped view, the view's user."""
        if self.user_id is None:
            return validation.identifier(field, user_id, self.limits)
        if user_id is not None and user_id != self.user_id:
            raise InvalidInput(f"this store is limited to user {self.user_id!r}")
        return self.user_id

    def run(self, query_name: str, **params: Any) -> list[dict[str, Any]]:
        """Run a named query now and return its rows.

        On a store, a query's ``user_id`` defaults to ``None`` (any owner). On a
        user-scoped view it is always the view's user: omitting it or passing
        ``None`` means the view's user, and a query that cannot be limited to
        one owner (it takes no ``user_id``, such as ``purge_conversations``) is
        refused.

        :raises InvalidInput: for a name that is not a query, and on a view,
            for another ``user_id`` or a query that spans every user.
        :raises TypeError: for a missing or unknown parameter name (a
            programming error, like a wrong keyword argument).
        """
        query = self.database.queries.get(query_name) if isinstance(query_name, str) else None
        if query is not None and not is_public(query.name):
            raise InvalidInput(
                f"{query_name} is one of convstore's own statements (of its transfer, "
                "migrations or tutorial import); a store runs the public queries only"
            )
        if query is None:
            raise InvalidInput(
                f"no query named {validation.show(query_name)}; `convstore queries` lists them"
            )
        takes_owner = "user_id" in query.parameters
        if self.user_id is None:
            if takes_owner:
                params.setdefault("user_id", None)
        elif not takes_owner:
            raise InvalidInput(
                f"{query_name} spans every user; run it on the store, not a user-scoped view"
            )
        else:
            params["user_id"] = self._owner(params.get("user_id"))
        with self._user_scope():
            return self.database.run(query_name, **params)

    def _user_scope(self, *, sealed: bool = False) -> AbstractContextManager[None]:
        if self.user_id is None:
            return nullcontext()
        return self.database.user_scope(self.user_id, sealed=sealed)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgres"``."""
        return self.database.dialect

    # -- writing ---------------------------------------------------------------------

    def create_conversation(
        self,
        user_id: str | None = None,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        conversation_id: str | uuid.UUID | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Create a conversation owned by ``user_id`` (on a user-scoped view,
        its user); return its id (a UUID string).

        The id is a new random UUID, or ``conversation_id``: a UUID or a name
        (any other text, such as a framework's thread id) that stands for one,
        by :func:`convstore.validation.conversation_id`. ``extra`` holds the
        conversation's fields that convstore has no column for (an OpenAI
        fine-tuning line's ``tools``, ``functions``, ``parallel_tool_calls``;
        :class:`~convstore.types.Conversation` says what it holds); ``None``
        means ``{}``.

        If the connection is lost after the insert was sent, the insert is
        sent once more with the same id, which stores nothing if the first one
        was committed; only if that fails too is :class:`OutcomeUnknown` raised.
        (With an id of your choosing, that second attempt cannot tell your
        conversation from one of the same owner created earlier: it returns the id.)

        :raises ConversationExists: if ``conversation_id`` is taken;
            :meth:`ensure_conversation` is the call that accepts that.
        :raises InvalidInput: for a bad id, user, title, metadata or extra
            (:func:`convstore.validation.conversation_extra_json`).
        """
        params = self._new_conversation(
            uuid.uuid4() if conversation_id is None else conversation_id,
            user_id,
            title,
            metadata,
            extra,
        )
        try:
            created = self.run("create_conversation", **params)
        except OutcomeUnknown as lost:
            try:
                created = self._create_or_find(params)
            except ConvstoreError as error:
                raise lost from error
        if not created:
            raise ConversationExists(f"conversation {params['id']} exists already")
        return params["id"]

    def ensure_conversation(
        self,
        conversation_id: str | uuid.UUID,
        user_id: str | None = None,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Conversation:
        """The conversation ``conversation_id`` of ``user_id``, created with
        ``title`` and ``metadata`` if it does not exist (an existing one is
        returned as it is). ``conversation_id`` is a UUID or a name, as
        :meth:`create_conversation` takes it.

        Safe when several callers ensure the same conversation at once, inside
        their own :meth:`transaction` too: the insert does nothing when the id
        is taken (``ON CONFLICT DO NOTHING``; on PostgreSQL it waits for a
        concurrent insert of the same id to commit or roll back), so no caller's
        transaction is aborted. A lost answer is :class:`DatabaseUnavailable`:
        repeating the call is safe.

        :raises ConversationExists: if the id is another user's conversation.
        :raises InvalidInput: for a bad id, user, title or metadata.
        """
        params = self._new_conversation(conversation_id, user_id, title, metadata)
        with _safe_to_repeat():
            for _ in range(ENSURE_ROUNDS):
                found = self._create_or_find(params)
                if found:
                    return cast(Conversation, found[0])
        raise ConversationExists(
            f"conversation {params['id']} belongs to another user than {params['user_id']!r} "
            f"(or was deleted each of {ENSURE_ROUNDS} times it was about to be read)"
        )

    def _create_or_find(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The conversation ``params`` creates, or if its id is taken, the one
        of the same owner; no row if another user's has it."""
        return self.run("create_conversation", **params) or self.run(
            "get_conversation", conversation_id=params["id"], user_id=params["user_id"]
        )

    def _new_conversation(
        self,
        conversation_id: Any,
        user_id: str | None,
        title: str | None,
        metadata: Mapping[str, Any] | None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The checked parameters of ``create_conversation``."""
        return {
            "id": validation.conversation_id(conversation_id),
            "user_id": self._owner(user_id),
            "title": validation.optional_text("title", title, self.limits),
            "metadata": validation.metadata_json("metadata", metadata, self.limits),
            "extra": validation.conversation_extra_json("extra", extra, self.limits),
        }

    def update_conversation(
        self,
        conversation_id: str | uuid.UUID,
        *,
        title: str | None | Unchanged = UNCHANGED,
        metadata: Mapping[str, Any] | None = None,
        metadata_patch: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Conversation:
        """Change a conversation's title, metadata or extra; return it as it now is.

        ``title`` sets the title (``None`` removes it); left out, it stays.
        ``metadata`` replaces the metadata object whole; ``metadata_patch``
        changes it as a JSON Merge Patch (RFC 7396: each key of the patch is
        set, ``None`` removes the key, an object merges into the key's object,
        recursively; lists are replaced). The patch is applied while the
        conversation is locked, so concurrent patches of different keys all
        apply. ``extra`` replaces the fields convstore has no column for
        (:class:`~convstore.types.Conversation`), whole; ``None`` (the
        default) leaves them. ``updated_at`` and the listing order follow
        messages, so they do not change. Repeating a call that lost its
        answer is safe.

        :raises NotFound: if the conversation does not exist.
        :raises InvalidInput: for both ``metadata`` and ``metadata_patch``, or
            a bad title, metadata, patch, extra, or a patched object over the limits.
        """
        checked_id = validation.conversation_id(conversation_id)
        if metadata is not None and metadata_patch is not None:
            raise InvalidInput("give metadata (a replacement) or metadata_patch, not both")
        params = {
            "conversation_id": checked_id,
            "set_title": title is not UNCHANGED,
            "title": None
            if title is UNCHANGED
            else validation.optional_text("title", title, self.limits),
            "metadata": None
            if metadata is None
            else validation.metadata_json("metadata", metadata, self.limits),
            "extra": None
            if extra is None
            else validation.conversation_extra_json("extra", extra, self.limits),
        }
        if metadata_patch is not None:
            patch = json.loads(
                validation.metadata_json("metadata_patch", metadata_patch, self.limits)
            )
        with _safe_to_repeat(), self.transaction():
            if metadata_patch is not None:
                if self.run("lock_conversation", conversation_id=checked_id):
                    (current,) = self.run("get_conversation", conversation_id=checked_id)
                    params["metadata"] = validation.metadata_json(
                        "the patched metadata",
                        merge_patch(current["metadata"], patch),
                        self.limits,
                    )
            updated = self.run("update_conversation", **params)
        if not updated:
            raise NotFound(f"conversation {checked_id} does not exist")
        return cast(Conversation, updated[0])

    def add_message(
        self,
        conversation_id: str,
        role: str,
        content: Content = None,
        tokens: int | None = None,
        latency_ms: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        tool_calls: Sequence[Mapping[str, Any]] | None = None,
        tool_call_id: str | None = None,
        name: str | None = None,
        pinned: bool = False,
        idempotency_key: str | None = None,
        kind: str = CHAT_MESSAGE,
        payload: Any = None,
        function_call: Mapping[str, Any] | None = None,
        refusal: str | None = None,
        weight: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Message:
        """Append a message and return it as stored, with its ``seq``.

        The message is in the OpenAI chat format
        (:class:`~convstore.types.NewMessage` says what each field holds):
        ``content`` is text, a list of parts (text, images, audio, files ...,
        kept as given; search finds its text parts) or ``None``; an assistant
        message may carry ``tool_calls``, a legacy ``function_call``, a
        ``refusal`` and a fine-tuning ``weight``; ``extra`` keeps fields
        convstore has no place for. What goes in comes back the same.

        The message gets the conversation's next ``seq`` (1, 2, 3 ... with no
        gaps, also under concurrent appends). ``tokens=None`` (not known) stores
        an estimate from the message's content, marked ``tokens_estimated``
        (:mod:`convstore.token_estimate`), which the token budget counts until
        :meth:`set_message_tokens` gives a real count. A ``pinned`` message
        (say, a system prompt) is part of every :meth:`get_recent_context`.

        Retrying safely: give an ``idempotency_key`` (any string unique within
        the conversation, e.g. a request id). If a message with that key is
        already stored -- say the first attempt committed but its reply was
        lost -- nothing new is stored and the stored message is returned, even
        when both attempts race. Retry on errors whose ``retryable`` is true.

        ``kind`` and ``payload`` store an item that is not a chat message (a
        reasoning item, a function call of the Responses API ...) exactly as
        its producer gave it: :class:`~convstore.types.NewMessage` says how
        such items are counted, searched, sent and exported.

        :raises NotFound: if the conversation does not exist.
        :raises InvalidInput: for a bad role, kind, count, metadata, payload,
            part, call, weight or text (:func:`convstore.validation.message`).
        """
        params = validation.message(
            role=role,
            content=content,
            tokens=tokens,
            latency_ms=latency_ms,
            metadata=metadata,
            tool_calls=tool_calls,
            tool_call_id=tool_call_id,
            name=name,
            pinned=pinned,
            idempotency_key=idempotency_key,
            kind=kind,
            payload=payload,
            function_call=function_call,
            refusal=refusal,
            weight=weight,
            extra=extra,
            limits=self.limits,
        )
        checked_id = validation.conversation_id(conversation_id)
        held = self._by_reference(params)
        (message,) = self._append(checked_id, [idempotency_key], "append_message", held, **params)
        return message

    def add_messages(
        self, conversation_id: str, messages: Sequence[NewMessage | Mapping[str, Any]]
    ) -> list[Message]:
        """Append several messages in one statement, in the order given, and
        return them as stored. Each is a :class:`~convstore.types.NewMessage`:
        a mapping with the keyword arguments of :meth:`add_message` (``role``
        and ``content`` at least). If any is invalid, none is stored. The
        conversation's counters are updated once for the whole batch, which
        makes this several times faster per message than repeated
        :meth:`add_message` calls. A batch over ``BATCH_JSON_BYTES`` of JSON
        is sent in several statements of one transaction (PostgreSQL's jsonb
        holds at most 256 MB)."""
        checked_id = validation.conversation_id(conversation_id)
        if not isinstance(messages, (list, tuple)):
            raise InvalidInput(
                f"messages must be a list of mappings, got {type(messages).__name__}"
            )
        batch = [validation.new_message(message, self.limits) for message in messages]
        keys = [message["idempotency_key"] for message in batch]
        if len(set(filter(None, keys))) < len(list(filter(None, keys))):
            raise InvalidInput("two messages of one batch have the same idempotency_key")
        if not batch:
            return []
        held = {
            digest: found
            for message in batch
            for digest, found in self._by_reference(message).items()
        }
        parts = _batch_parts(batch)
        if len(parts) == 1:
            return self._append_batch(checked_id, held, *parts[0])
        with self.transaction():
            return [
                stored for part in parts for stored in self._append_batch(checked_id, held, *part)
            ]

    def _append_batch(
        self,
        conversation_id: str,
        held: Mapping[str, Attachment],
        keys: list[str | None],
        messages_json: str,
    ) -> list[Message]:
        return self._append(conversation_id, keys, "append_messages", held, messages=messages_json)

    def _append(
        self,
        conversation_id: str,
        keys: list[str | None],
        query_name: str,
        held: Mapping[str, Attachment],
        **params: Any,
    ) -> list[Message]:
        """Run an append query; return one stored message per requested one,
        by seq, its parts inline. Messages whose idempotency key the
        conversation already holds are not stored again: the stored ones
        stand in for them. The attachments ``held`` (by SHA-256) that the new
        messages reference are stored and linked in the same transaction; an
        append without any runs its one statement, as before attachments.

        :raises DatabaseUnavailable: if the connection was lost after the
            append was sent and every message has an idempotency key (a retry
            is safe); :class:`OutcomeUnknown` if one has none.
        """
        try:
            with self.transaction() if held else nullcontext():
                appended = self._append_once(conversation_id, query_name, **params)
                if held:
                    referenced = {
                        row["seq"]: attachments.references(row["content"]) for row in appended
                    }
                    self._link(conversation_id, referenced, held)
        except OutcomeUnknown as error:
            if all(keys):
                raise DatabaseUnavailable(
                    f"{error} -- every message has an idempotency key, so retrying is safe"
                ) from error
            raise
        if len(appended) < len(keys) and any(keys):
            appended += self.run(
                "messages_by_idempotency_key",
                conversation_id=conversation_id,
                idempotency_keys=json.dumps([key for key in keys if key is not None]),
            )
        if not appended:
            raise NotFound(f"conversation {conversation_id} does not exist")
        stored = sorted({m["seq"]: m for m in appended}.values(), key=lambda m: m["seq"])
        return cast("list[Message]", self._inlined_or_fail(conversation_id, stored, held))

    def _append_once(
        self, conversation_id: str, query_name: str, **params: Any
    ) -> list[dict[str, Any]]:
        """Run an append query; the messages it stored (none for keys held)."""
        try:
            with self.database.isolated():
                return self.run(query_name, conversation_id=conversation_id, **params)
        except DuplicateIdempotencyKey:
            # A concurrent copy of this request stored some of these messages
            # after this statement's snapshot. Holding the conversation's
            # lock, a new statement sees every stored key, so it cannot collide.
            logger.info(
                "%s: a concurrent append stored one of these idempotency keys in "
                "conversation %s; appending again under its lock",
                query_name,
                conversation_id,
            )
            with self.transaction():
                if self.run("lock_conversation", conversation_id=conversation_id):
                    return self.run(query_name, conversation_id=conversation_id, **params)
                return []

    def set_message_tokens(self, conversation_id: str, seq: int, tokens: int | None) -> Message:
        """Set a message's token count and return the message. ``None`` stores
        convstore's estimate again (``tokens_estimated``), as for a message
        written without a count; a count clears ``tokens_estimated``.

        The running totals behind :meth:`get_recent_context` are shifted in the
        same transaction: every later message's total is updated, so the cost
        grows with the number of messages after ``seq``.

        :raises NotFound: if the conversation or the message does not exist.
        :raises BranchConflict: if branches share the message (it is frozen).
        """
        checked_id = validation.conversation_id(conversation_id)
        checked_seq = validation.count("seq", seq, minimum=1)
        new_tokens = validation.optional_count("tokens", tokens)
        with _safe_to_repeat(), self.transaction():
            counted_before = self._lock_message(checked_id, checked_seq)
            estimated = new_tokens is None
            if estimated:
                (stored,) = self._get_inline(checked_id, checked_seq)
                new_tokens = validation.estimated_tokens(stored, self.limits)
            (counted_after,) = self.run(
                "set_message_tokens",
                conversation_id=checked_id,
                seq=checked_seq,
                tokens=new_tokens,
                tokens_estimated=estimated,
            )
            self._retotal(checked_id, checked_seq, counted_before, counted_after)
            (message,) = self._get_inline(checked_id, checked_seq)
        return cast(Message, message)

    def _get_inline(
        self, conversation_id: str, seq: int, held: Mapping[str, Attachment] | None = None
    ) -> list[dict[str, Any]]:
        """Inside a transaction: message ``seq`` (none if it does not exist),
        its parts inline (``held``: attachments whose bytes are at hand)."""
        found = self.run("get_message", conversation_id=conversation_id, seq=seq)
        return self._inlined_or_fail(conversation_id, found, held)

    def replace_message(
        self, conversation_id: str, seq: int, message: NewMessage | Mapping[str, Any]
    ) -> Message:
        """Replace message ``seq`` by ``message`` (a
        :class:`~convstore.types.NewMessage`, as :meth:`add_messages` takes
        them, checked by the rules of :meth:`add_message`) and return it as stored.

        It keeps its ``seq`` and ``created_at``; every other field becomes the
        one given (absent: the default), except the idempotency key, which
        ``None`` leaves as it is (a retry of the first append must still find
        it). The running totals are shifted in the same transaction, as
        :meth:`set_message_tokens` does, so :meth:`get_recent_context` stays
        exact. Repeating a call that lost its answer is safe.

        :raises NotFound: if the conversation or the message does not exist.
        :raises InvalidInput: as :meth:`add_message`, or for an idempotency
            key another message of the conversation holds. Nothing is changed.
        :raises BranchConflict: if branches share the message (it is frozen:
            :meth:`edit_message` forks instead).
        """
        params = validation.new_message(message, self.limits)
        checked_id = validation.conversation_id(conversation_id)
        checked_seq = validation.count("seq", seq, minimum=1)
        held = self._by_reference(params)
        with _safe_to_repeat(), self.transaction():
            counted_before = self._lock_message(checked_id, checked_seq)
            try:
                (counted_after,) = self.run(
                    "replace_message", conversation_id=checked_id, seq=checked_seq, **params
                )
            except DuplicateIdempotencyKey as error:
                raise InvalidInput(
                    f"conversation {checked_id} holds idempotency_key "
                    f"{validation.show(params['idempotency_key'])} at another seq"
                ) from error
            self._retotal(checked_id, checked_seq, counted_before, counted_after)
            if counted_before["attachments"]:
                self.run("unlink_message_attachments", conversation_id=checked_id, seq=checked_seq)
            self._link(checked_id, {checked_seq: set(held)}, held)
            if counted_before["attachments"]:
                self._collect_attachments([counted_before["user_id"]])
            (message,) = self._get_inline(checked_id, checked_seq, held)
        return cast(Message, message)

    def delete_message(self, conversation_id: str, seq: int) -> bool:
        """Delete one message; ``True`` if it existed. Its ``seq`` is not reused.

        Like :meth:`set_message_tokens`, this shifts the running totals of every
        later message in the same transaction.

        :raises BranchConflict: if branches share the message (it is frozen).
        """
        checked_id = validation.conversation_id(conversation_id)
        checked_seq = validation.count("seq", seq, minimum=1)
        with _safe_to_repeat(), self.transaction():
            try:
                locked = self._lock_message(checked_id, checked_seq)
            except NotFound:
                return False
            (deleted,) = self.run("delete_message", conversation_id=checked_id, seq=checked_seq)
            self._shift_totals(
                checked_id,
                checked_seq,
                -deleted["counted_tokens"],
                pinned=deleted["pinned"],
                message_count_delta=-1,
            )
            if locked["attachments"]:
                self._collect_attachments([locked["user_id"]])
        return True

    def delete_messages(
        self, conversation_id: str, after_seq: int = 0, *, seqs: Sequence[int] | None = None
    ) -> int:
        """Delete the messages after ``after_seq`` -- with ``0`` (the default),
        every message: the conversation is cleared but kept -- or, given
        ``seqs``, exactly the messages of those seqs (missing ones are
        ignored). Return how many were deleted (``0`` also when the
        conversation does not exist).

        Atomic under concurrent callers: the conversation is locked, so an
        append waits and lands after the deletion, never inside it. The seqs
        of deleted messages are not reused. Deleting the newest messages
        shifts no other message's running total, so it costs the deleted rows
        only; deleting ``seqs`` updates each later message once, however many
        are listed (where a :meth:`delete_message` per seq updates them once
        per seq). A call whose answer was lost (:class:`OutcomeUnknown`) is
        not repeated blindly: messages appended since could go too.

        :raises InvalidInput: for a bad id, a negative ``after_seq``, a seq
            below 1, or both ``after_seq`` and ``seqs``.
        :raises BranchConflict: if it would delete history that branches
            share: ``after_seq``, or the lowest listed seq, within it.
        """
        checked_id = validation.conversation_id(conversation_id)
        checked_after = validation.count("after_seq", after_seq)
        if seqs is not None and checked_after:
            raise InvalidInput("give after_seq or seqs, not both")
        listed = None if seqs is None else validation.seqs_json("seqs", seqs)
        first_seq = checked_after + 1 if listed is None else min(json.loads(listed), default=0)
        with self.transaction():
            owner = self._lock_own_messages(checked_id, first_seq) if first_seq else None
            if owner is None:
                return 0
            if listed is None:
                return self._delete_after(checked_id, checked_after, owner)
            return self._delete_listed(checked_id, listed, owner)

    def pop_message(self, conversation_id: str) -> Message | None:
        """Delete the newest message and return it as it was stored; ``None``
        if the conversation has no message or does not exist.

        Atomic under concurrent callers: two pops never return the same
        message, and an append waits for the pop. A pop whose answer was lost
        (:class:`OutcomeUnknown`) may have happened: compare
        :meth:`get_message_fingerprints` before popping again.

        :raises InvalidInput: for a bad id.
        :raises BranchConflict: if branches share the newest message.
        """
        checked_id = validation.conversation_id(conversation_id)
        with self.transaction():
            locked = self.run("lock_conversation", conversation_id=checked_id)
            if not locked:
                return None
            newest_page = self.run(
                "get_messages", conversation_id=checked_id, limit=1, before_seq=None
            )
            if not newest_page:
                return None
            self._refuse_shared(checked_id, newest_page[0]["seq"])
            (newest,) = self._inlined_or_fail(checked_id, newest_page)  # before its bytes go
            self._delete_after(checked_id, newest["seq"] - 1, locked[0]["user_id"])
        return cast(Message, newest)

    def _delete_after(self, conversation_id: str, after_seq: int, owner: str) -> int:
        """Holding the conversation's lock (taken first: a statement that
        waited for it would have counted an older snapshot), take the
        messages after ``after_seq`` off the counters and delete them, with
        the attachments of ``owner`` (the conversation's) that no message
        references any more; how many messages."""
        tail = {"conversation_id": conversation_id, "after_seq": after_seq}
        (deleted,) = self.run("messages_after_totals", **tail)
        if deleted["messages"]:
            self._subtract(conversation_id, deleted)
            self.run("delete_messages_after", **tail)
        if deleted["attachments"]:
            self._collect_attachments([owner])
        return int(deleted["messages"])

    def _delete_listed(self, conversation_id: str, seqs_json: str, owner: str) -> int:
        """As :meth:`_delete_after`, for the messages of the seqs listed in
        ``seqs_json``, shifting the running totals of the later ones."""
        listed = {"conversation_id": conversation_id, "seqs": seqs_json}
        (deleted,) = self.run("listed_messages_totals", **listed)
        if deleted["messages"]:
            self._subtract(conversation_id, deleted)
            self.run("shift_tokens_before_listed", **listed)
            self.run("delete_listed_messages", **listed)
        if deleted["attachments"]:
            self._collect_attachments([owner])
        return int(deleted["messages"])

    def _subtract(self, conversation_id: str, deleted: Mapping[str, Any]) -> None:
        """Take ``deleted`` (``messages``, ``unpinned_tokens``,
        ``pinned_tokens``) off the conversation's counters."""
        self.run(
            "adjust_conversation_totals",
            conversation_id=conversation_id,
            unpinned_tokens_delta=-deleted["unpinned_tokens"],
            pinned_tokens_delta=-deleted["pinned_tokens"],
            message_count_delta=-deleted["messages"],
        )

    def _lock_message(self, conversation_id: str, seq: int) -> dict[str, Any]:
        """Lock the conversation against concurrent appends, edits and forks;
        return the message's counted tokens, pinned flag and how many
        attachments it references (``message_tokens.sql``), and the
        conversation's owner (``user_id``).

        :raises BranchConflict: if branches share the message."""
        owner = self._lock_own_messages(conversation_id, seq)
        if owner is None:
            raise NotFound(f"conversation {conversation_id} does not exist")
        found = self.run("message_tokens", conversation_id=conversation_id, seq=seq)
        if not found:
            raise NotFound(f"conversation {conversation_id} has no message {seq}")
        return {**found[0], "user_id": owner}

    def _lock_own_messages(self, conversation_id: str, first_seq: int) -> str | None:
        """Lock the conversation and return its owner (``None`` if it does not
        exist); refuse a change of its messages from ``first_seq`` on that
        reaches history branches share: the messages a branch shows of its
        parent, and those of its own that a branch of it shows, are never
        changed in place."""
        locked = self.run("lock_conversation", conversation_id=conversation_id)
        if not locked:
            return None
        self._refuse_shared(conversation_id, first_seq)
        return str(locked[0]["user_id"])

    def _refuse_shared(self, conversation_id: str, first_seq: int) -> None:
        """Holding the conversation's lock: raise :class:`BranchConflict` if
        its messages from ``first_seq`` on reach history branches share."""
        (shared,) = self.run("shared_seqs", conversation_id=conversation_id)
        if first_seq <= shared["fork_seq"]:
            raise BranchConflict(
                f"message {first_seq} of conversation {conversation_id} is its parent's: "
                f"the branch shares messages 1..{shared['fork_seq']} and changes only its "
                "own; edit_message starts a branch with a changed copy"
            )
        if first_seq <= shared["shared_through"]:
            raise BranchConflict(
                f"message {first_seq} of conversation {conversation_id} is shared by its "
                f"branches (they share its messages up to {shared['shared_through']}); "
                "edit_message starts a branch with a changed copy, or delete the branches first"
            )

    def _lock_in_tree(self, conversation_id: str, user_id: str | None = None) -> bool:
        """Lock the root of the conversation's tree, then the conversation
        (``False`` if it does not exist): forks and deletions change a tree,
        and taking its root first keeps them from waiting for each other in
        opposite orders (a fork's new rows refer to every ancestor)."""
        owner = {} if user_id is None else {"user_id": user_id}
        root = self.run("lock_tree_root", conversation_id=conversation_id, **owner)
        if not root:
            return False
        return root[0]["id"] == conversation_id or bool(
            self.run("lock_conversation", conversation_id=conversation_id, **owner)
        )

    def _retotal(
        self,
        conversation_id: str,
        seq: int,
        counted_before: Mapping[str, Any],
        counted_after: Mapping[str, Any],
    ) -> None:
        """Keep the running totals exact after message ``seq``'s
        ``counted_tokens`` and ``pinned`` changed from ``counted_before`` to
        ``counted_after``: a change of pin moves its tokens between the
        running totals and the pinned sum."""
        if counted_before["pinned"] == counted_after["pinned"]:
            delta = counted_after["counted_tokens"] - counted_before["counted_tokens"]
            self._shift_totals(conversation_id, seq, delta, pinned=counted_before["pinned"])
            return
        for counted, sign in ((counted_before, -1), (counted_after, 1)):
            self._shift_totals(
                conversation_id, seq, sign * counted["counted_tokens"], pinned=counted["pinned"]
            )

    def _shift_totals(
        self,
        conversation_id: str,
        seq: int,
        tokens_delta: int,
        *,
        pinned: bool,
        message_count_delta: int = 0,
    ) -> None:
        """Keep the running totals exact after message ``seq`` changed by
        ``tokens_delta`` counted tokens. Pinned tokens are not in the running
        totals, so only the conversation's pinned sum changes for them."""
        if tokens_delta and not pinned:
            self.run(
                "shift_tokens_before", conversation_id=conversation_id, seq=seq, delta=tokens_delta
            )
        self.run(
            "adjust_conversation_totals",
            conversation_id=conversation_id,
            unpinned_tokens_delta=0 if pinned else tokens_delta,
            pinned_tokens_delta=tokens_delta if pinned else 0,
            message_count_delta=message_count_delta,
        )

    def delete_conversation(self, conversation_id: str, *, with_branches: bool = False) -> bool:
        """Delete a conversation and all its messages, and the attachments no
        message references any more; ``True`` if it existed.

        Deleting a branch deletes only what it stored: the messages it shares
        stay with the conversations that wrote them. A conversation with
        branches is deleted only with ``with_branches``, which deletes it and
        every branch forked from it, at any depth, in one transaction.

        :raises BranchConflict: if it has branches and ``with_branches`` is false.
        """
        checked_id = validation.conversation_id(conversation_id)
        deleting_branches = validation.flag("with_branches", with_branches)
        with _safe_to_repeat(), self.transaction():
            if not self._lock_in_tree(checked_id):
                return False
            if not deleting_branches:
                branches = self.run("list_branches", conversation_id=checked_id)
                if branches:
                    raise BranchConflict(
                        f"conversation {checked_id} has {len(branches)} branch(es) sharing "
                        "its messages; delete them first, or pass with_branches=True"
                    )
            query_name = "delete_conversation_tree" if deleting_branches else "delete_conversation"
            deleted = self.run(query_name, conversation_id=checked_id)
            self._collect_attachments(row["user_id"] for row in deleted)
        return bool(deleted)

    def delete_user_data(self, user_id: str | None = None) -> DeletionCounts:
        """Erase every conversation and message of ``user_id`` (say, for a
        right-to-erasure request), and the attachments their messages
        referenced; return how many conversations and messages were deleted.
        Another user's attachment of the same bytes is theirs, and stays."""
        owner = self._owner(user_id)
        with _safe_to_repeat(), self.transaction():
            # Locked first: the DELETE's snapshot then holds every branch a
            # concurrent fork committed while it waited.
            self.run("lock_user_conversations", user_id=owner)
            deleted = self.run("delete_user_conversations", user_id=owner)
            self._collect_attachments([owner])
        return _deletion_counts(deleted)

    def purge_conversations(self, older_than: timedelta, batch_size: int = 1000) -> DeletionCounts:
        """Delete the conversations with no activity in the last ``older_than``,
        with their messages (and the attachments no message references any
        more), oldest first, ``batch_size`` conversations per
        transaction (so the tables are never locked for long); return how many
        conversations and messages were deleted. A conversation with branches
        stays until they are deleted: an inactive tree goes branches first,
        and a branch that is still active keeps the history it shares."""
        cutoff = validation.age_cutoff(older_than)
        batch_size = validation.count("batch_size", batch_size, minimum=1)
        totals = DeletionCounts(conversations=0, messages=0)
        while True:
            with _safe_to_repeat(), self.transaction():
                # Locked, then deleted by a statement whose snapshot holds every
                # branch a concurrent fork committed (purge_conversations.sql says why).
                candidates = self.run("lock_purge_candidates", cutoff=cutoff, batch_size=batch_size)
                deleted = self.run(
                    "purge_listed_conversations",
                    ids=json.dumps([candidate["id"] for candidate in candidates]),
                )
                self._collect_attachments(row["user_id"] for row in deleted)
            counts = _deletion_counts(deleted)
            totals["conversations"] += counts["conversations"]
            totals["messages"] += counts["messages"]
            freed_parents = any(row["parent_id"] is not None for row in deleted)
            if len(candidates) < batch_size and not freed_parents:
                return totals

    # -- branches --------------------------------------------------------------------

    def fork_conversation(
        self,
        conversation_id: str,
        at_seq: int,
        *,
        title: str | None | Unchanged = UNCHANGED,
        metadata: Mapping[str, Any] | None = None,
        branch_id: str | uuid.UUID | None = None,
    ) -> str:
        """Fork a conversation after message ``at_seq``; return the new
        branch's id (a UUID string: a new random one, or ``branch_id``).

        The branch shares the conversation's messages ``1..at_seq`` without
        copying them (``0`` shares none) and then grows on its own: its next
        message gets seq ``at_seq + 1``. Every read treats it as a whole
        conversation (its messages, pages, context, stats and search include
        what it shares), so forking costs the same few rows for a conversation
        of ten messages or a million (and the same few index lookups, unless
        messages were deleted from the part it shares: then it counts them,
        reading that part of the index). The shared messages are frozen while the
        branch exists: neither conversation can change or delete them
        (:class:`BranchConflict`; :meth:`edit_message` forks instead). The
        branch has the conversation's owner, and its title and metadata unless
        ``title`` or ``metadata`` are given. It has the conversation's
        ``extra`` too (the tools it was offered ...): a branch is the same
        conversation, continued.

        :raises NotFound: if the conversation does not exist.
        :raises InvalidInput: for an ``at_seq`` past its last seq, or a bad
            id, title or metadata.
        :raises ConversationExists: if ``branch_id`` is taken.
        """
        checked_id = validation.conversation_id(conversation_id)
        checked_at = validation.count("at_seq", at_seq)
        new_id = validation.conversation_id(uuid.uuid4() if branch_id is None else branch_id)
        new_title = (
            None if title is UNCHANGED else validation.optional_text("title", title, self.limits)
        )
        new_metadata = (
            None
            if metadata is None
            else validation.metadata_json("metadata", metadata, self.limits)
        )
        try:
            with self.transaction():
                if not self._lock_in_tree(checked_id):
                    raise NotFound(f"conversation {checked_id} does not exist")
                found = self.run("fork_point", conversation_id=checked_id, at_seq=checked_at)
                if not found:
                    raise InvalidInput(
                        f"at_seq {checked_at} is past the last seq of conversation {checked_id}"
                    )
                shared = found[0]
                created = self.run(
                    "create_branch",
                    id=new_id,
                    user_id=shared["user_id"],
                    title=shared["title"] if title is UNCHANGED else new_title,
                    metadata=new_metadata
                    or validation.metadata_json("metadata", shared["metadata"], self.limits),
                    extra=validation.conversation_extra_json("extra", shared["extra"], self.limits),
                    parent_id=checked_id,
                    fork_seq=checked_at,
                    messages_through=shared["messages_through"],
                    tokens_through=shared["tokens_through"],
                    pinned_tokens_through=shared["pinned_tokens_through"],
                    created_at=None,
                )
                if not created:
                    raise ConversationExists(f"conversation {new_id} exists already")
                self.run(
                    "create_branch_ancestors",
                    branch_id=new_id,
                    parent_id=checked_id,
                    fork_seq=checked_at,
                    tokens_through=shared["tokens_through"],
                )
        except OutcomeUnknown as lost:
            place = self._read_after_loss(lost, "get_branch", conversation_id=new_id)
            if place and (place[0]["parent_id"], place[0]["fork_seq"]) == (checked_id, checked_at):
                return new_id
            raise
        return new_id

    def _read_after_loss(
        self, lost: OutcomeUnknown, query_name: str, **params: Any
    ) -> list[dict[str, Any]]:
        """``query_name``'s rows, read to learn whether a write whose answer
        was lost happened; ``lost`` itself if that read fails too."""
        try:
            return self.run(query_name, **params)
        except ConvstoreError as error:
            raise lost from error

    def edit_message(
        self,
        conversation_id: str,
        seq: int,
        message: NewMessage | Mapping[str, Any],
        *,
        branch_id: str | uuid.UUID | None = None,
    ) -> Message:
        """Edit message ``seq`` without changing history: fork the
        conversation after ``seq - 1`` and append ``message`` (a
        :class:`~convstore.types.NewMessage`, checked as :meth:`add_messages`
        checks it) to the new branch as its message ``seq``. Return it as
        stored: its ``conversation_id`` is the branch's. The original message
        and everything after it stay as they were, in the conversation;
        the branch becomes its tree's active branch (as an edit in ChatGPT
        shows the edited version). One transaction. ``branch_id`` names the
        branch, as :meth:`fork_conversation` takes it.

        :raises NotFound: if the conversation or the message does not exist.
        :raises InvalidInput: as :meth:`add_message`. Nothing is written.
        :raises ConversationExists: if ``branch_id`` is taken.
        """
        with self.transaction():
            new_branch = self._fork_at_message(conversation_id, seq, branch_id)
            (stored,) = self.add_messages(new_branch, [message])
        return stored

    def regenerate(
        self, conversation_id: str, seq: int, *, branch_id: str | uuid.UUID | None = None
    ) -> str:
        """Start another version of message ``seq`` (typically an assistant
        answer): fork the conversation after ``seq - 1``; return the new
        branch's id, which becomes its tree's active branch. Append the new
        answer to it (:class:`~convstore.agent.PersistentAgent.regenerate`
        asks the model for one). The original message stays in the
        conversation. ``branch_id`` names the branch, as
        :meth:`fork_conversation` takes it.

        :raises NotFound: if the conversation or the message does not exist.
        :raises ConversationExists: if ``branch_id`` is taken.
        """
        with self.transaction():
            return self._fork_at_message(conversation_id, seq, branch_id)

    def _fork_at_message(
        self, conversation_id: str, seq: int, branch_id: str | uuid.UUID | None
    ) -> str:
        """Inside a transaction: a branch sharing what comes before message
        ``seq``, made its tree's active branch."""
        checked_id = validation.conversation_id(conversation_id)
        checked_seq = validation.count("seq", seq, minimum=1)
        if not self.run("get_message", conversation_id=checked_id, seq=checked_seq):
            raise NotFound(f"conversation {checked_id} has no message {checked_seq}")
        new_branch = self.fork_conversation(checked_id, checked_seq - 1, branch_id=branch_id)
        self.run("set_active_branch", conversation_id=new_branch)
        return new_branch

    def get_branch(self, conversation_id: str) -> BranchPlace | None:
        """Where a conversation is in its tree: its ``parent_id`` and
        ``fork_seq`` (``None`` for a root), ``root_id``, ``depth`` and the
        tree's ``active_branch_id``; ``None`` if it does not exist."""
        found = self.run("get_branch", conversation_id=validation.conversation_id(conversation_id))
        return cast(BranchPlace, found[0]) if found else None

    def list_branches(self, conversation_id: str) -> list[Branch]:
        """The branches forked from a conversation (not their own branches),
        by fork point, then oldest first; ``[]`` for none or a missing one."""
        found = self.run(
            "list_branches", conversation_id=validation.conversation_id(conversation_id)
        )
        return cast("list[Branch]", found)

    def get_conversation_tree(self, conversation_id: str) -> list[TreeBranch]:
        """Every conversation of the tree that holds ``conversation_id``: the
        root (``depth`` 0) first, then the branches by depth, fork point and
        age, each with its ``parent_id`` and ``fork_seq``; ``[]`` if it does
        not exist (a conversation without branches is a tree of one)."""
        found = self.run(
            "conversation_tree", conversation_id=validation.conversation_id(conversation_id)
        )
        return cast("list[TreeBranch]", found)

    def set_active_branch(self, conversation_id: str) -> None:
        """Make ``conversation_id`` its tree's active branch, the one a client
        shows (ChatGPT's ``current_node``); :meth:`get_branch` reads it back.

        :raises NotFound: if the conversation does not exist.
        """
        checked_id = validation.conversation_id(conversation_id)
        with _safe_to_repeat():
            if not self.run("set_active_branch", conversation_id=checked_id):
                raise NotFound(f"conversation {checked_id} does not exist")

    # -- importing -------------------------------------------------------------------

    def import_conversation(
        self,
        conversation: ImportedConversation | Mapping[str, Any],
        messages: Sequence[ImportedMessage | Mapping[str, Any]] = (),
        *,
        skip_invalid: bool = False,
    ) -> ImportResult:
        """Store a conversation with its own id, owner, times and messages (from
        an export, a backup, another database) in one transaction; return what
        was new. Every importer of convstore calls this, so all get the same rules.

        ``conversation`` is an :class:`~convstore.types.ImportedConversation`:
        ``id`` (a UUID, or a name that stands for one), ``user_id`` (on a user-scoped view it may be left
        out, and may only be the view's user), ``created_at`` and
        ``updated_at`` (all required), ``title``, ``metadata`` and ``extra``
        (optional; ``extra`` as :meth:`create_conversation` takes it).
        Each message is an :class:`~convstore.types.ImportedMessage`: the
        fields of :meth:`add_message` with its own ``seq`` (1 or more, unique
        among the messages) and ``created_at``, both required. Times are ``datetime``, ``date`` or ISO
        8601 text, read by :func:`convstore.validation.timestamp` (without a
        zone: UTC). Plain dicts of these shapes are what it takes.

        Everything is checked, by the rules of :meth:`create_conversation` and
        :meth:`add_message` and this store's :attr:`limits`, before anything
        is written. Importing is idempotent: a conversation already there
        (same id, same owner) is kept as it is, and so is each message whose
        ``seq`` it already holds; what is missing is added. The
        conversation's counters and running token totals are then counted
        from its messages, and its ``updated_at`` moves forward to the given
        one or its newest message, never back. A lost answer is
        :class:`DatabaseUnavailable`: importing again is safe.

        With ``skip_invalid``, a message that is not valid, or that the
        database refuses (each is written under its own savepoint), is left
        out and listed in the result's ``rejected`` with the reason, instead
        of failing the import; the rest is imported.

        :raises InvalidInput: for a conversation or message that is not valid
            (a message's reason starts with ``messages[i]:``, its index),
            two messages with the same ``seq`` or ``idempotency_key``, an
            idempotency key the conversation holds at another ``seq``, a
            conversation id that another user's conversation holds, or on a
            user-scoped view, another user. Nothing is written.
        :raises ConvstoreError: for any other failure of the database (say
            :class:`DatabaseUnavailable`); nothing is written.
        """
        given = validation.fields(
            "conversation",
            conversation,
            IMPORTED_CONVERSATION_FIELDS,
            REQUIRED_IMPORTED_CONVERSATION_FIELDS,
        )
        try:
            conversation_id = validation.conversation_id(given["id"])
        except InvalidInput as error:
            raise InvalidInput(
                str(error).replace("conversation_id", "conversation.id", 1)
            ) from None
        checked = {
            "id": conversation_id,
            "user_id": self._owner(given.get("user_id"), "conversation.user_id"),
            "title": validation.optional_text(
                "conversation.title", given.get("title"), self.limits
            ),
            "metadata": validation.metadata_json(
                "conversation.metadata", given.get("metadata"), self.limits
            ),
            "extra": validation.conversation_extra_json(
                "conversation.extra", given.get("extra"), self.limits
            ),
            "created_at": validation.timestamp("conversation.created_at", given["created_at"]),
            "updated_at": validation.timestamp("conversation.updated_at", given["updated_at"]),
        }
        fork = _fork_of_import(given)
        given_last_seq = given.get("last_seq")
        last_seq = (
            None
            if given_last_seq is None
            else validation.count("conversation.last_seq", given_last_seq)
        )
        if not isinstance(messages, (list, tuple)):
            raise InvalidInput(
                f"messages must be a list of mappings, got {type(messages).__name__}"
            )
        accepted: list[tuple[int, dict[str, Any]]] = []
        rejected: list[tuple[int, str]] = []
        for index, message in enumerate(messages):
            try:
                accepted.append((index, validation.imported_message(message, self.limits)))
            except InvalidInput as error:
                if not skip_invalid:
                    raise InvalidInput(f"messages[{index}]: {error}") from None
                rejected.append((index, str(error)))
        _unique("seq", [params["seq"] for _, params in accepted])
        _unique("idempotency_key", [params["idempotency_key"] for _, params in accepted])
        with _safe_to_repeat(), self.transaction():
            if fork is None:
                created = bool(self.run("import_conversation", **checked))
            else:
                created = self._import_branch(checked, *fork)
            # Locked before the recounts below: an UPDATE that waited for an
            # append's lock would recount from the snapshot taken before it.
            if not created and not self.run(
                "lock_conversation", conversation_id=conversation_id, user_id=checked["user_id"]
            ):
                raise InvalidInput(
                    f"conversation {conversation_id} belongs to another user than "
                    f"{checked['user_id']!r}"
                )
            accepted = self._unshared(conversation_id, accepted, rejected, skip_invalid)
            new_messages = 0
            for index, params in accepted:
                try:
                    with self.database.isolated() if skip_invalid else nullcontext():
                        new_messages += self._import_message(conversation_id, params)
                except InvalidInput as error:  # refused by the database itself
                    if not skip_invalid:
                        raise InvalidInput(f"messages[{index}]: {error}") from error
                    rejected.append((index, str(error)))
            self.run("recount_tokens_before", conversation_id=conversation_id)
            self.run(
                "recount_conversation",
                conversation_id=conversation_id,
                updated_at=checked["updated_at"],
            )
            if last_seq is not None:
                self.run("raise_last_seq", conversation_id=conversation_id, last_seq=last_seq)
        return ImportResult(created, new_messages, tuple(sorted(rejected)))

    def _import_branch(self, checked: Mapping[str, Any], parent_id: str, fork_seq: int) -> bool:
        """Inside an import's transaction: create the branch ``checked`` of
        ``parent_id`` at ``fork_seq`` as :meth:`fork_conversation` does;
        ``False`` if it exists already (then as that branch)."""
        owner = checked["user_id"]
        found = self.run("get_branch", conversation_id=checked["id"], user_id=owner)
        if found:
            if (found[0]["parent_id"], found[0]["fork_seq"]) != (parent_id, fork_seq):
                raise InvalidInput(
                    f"conversation {checked['id']} exists already, but not as a branch of "
                    f"{parent_id} after seq {fork_seq}"
                )
            return False
        if not self._lock_in_tree(parent_id, owner):
            raise NotFound(
                f"conversation.parent_id: conversation {parent_id} (of {owner!r}) is not in "
                "this store; import it before its branches"
            )
        point = self.run("fork_point", conversation_id=parent_id, at_seq=fork_seq, user_id=owner)
        if not point:
            raise InvalidInput(
                f"conversation.fork_seq {fork_seq} is past the last seq of its parent {parent_id}"
            )
        created = self.run(
            "create_branch",
            id=checked["id"],
            user_id=owner,
            title=checked["title"],
            metadata=checked["metadata"],
            extra=checked["extra"],
            parent_id=parent_id,
            fork_seq=fork_seq,
            messages_through=point[0]["messages_through"],
            tokens_through=point[0]["tokens_through"],
            pinned_tokens_through=point[0]["pinned_tokens_through"],
            created_at=checked["created_at"],
        )
        if created:
            self.run(
                "create_branch_ancestors",
                branch_id=checked["id"],
                parent_id=parent_id,
                fork_seq=fork_seq,
                tokens_through=point[0]["tokens_through"],
                user_id=owner,
            )
        return bool(created)

    def _unshared(
        self,
        conversation_id: str,
        accepted: list[tuple[int, dict[str, Any]]],
        rejected: list[tuple[int, str]],
        skip_invalid: bool,
    ) -> list[tuple[int, dict[str, Any]]]:
        """The imported messages to write, under the conversation's lock:
        those a branch shares with its parent are not written but must be
        what the parent holds, and no message may be added where branches
        share this conversation's history (a refusal is raised, or with
        ``skip_invalid`` added to ``rejected``)."""
        (shared,) = self.run("shared_seqs", conversation_id=conversation_id)
        frozen_through = max(shared["fork_seq"], shared["shared_through"])
        if not any(params["seq"] <= frozen_through for _, params in accepted):
            return accepted
        held = {
            stored["seq"]: stored
            for stored in self.run("message_fingerprints", conversation_id=conversation_id)
        }
        kept = []
        for index, params in accepted:
            seq = params["seq"]
            if seq > frozen_through:
                kept.append((index, params))
                continue
            if (
                seq in held
                and self._fingerprint(conversation_id, held[seq]) == params["fingerprint"]
            ):
                continue  # there already: shared, or imported before
            reason = (
                f"message {seq} is the parent's, and the parent's says something else"
                if seq <= shared["fork_seq"] and seq in held
                else f"seq {seq} is in the history branches share (through seq "
                f"{frozen_through}) and the conversation holds no such message"
            )
            if not skip_invalid:
                raise BranchConflict(f"messages[{index}]: {reason}")
            rejected.append((index, reason))
        return kept

    def _fingerprint(self, conversation_id: str, stored: Mapping[str, Any]) -> str:
        """A stored message's fingerprint (computed for one written before
        convstore kept them)."""
        if stored["fingerprint"] is not None:
            return str(stored["fingerprint"])
        message = self.run("get_message", conversation_id=conversation_id, seq=stored["seq"])
        return validation.message_fingerprint(message[0], self.limits)

    def _import_message(self, conversation_id: str, params: dict[str, Any]) -> int:
        """Insert one checked message at its seq, with its attachments; 1 if
        it was new, 0 if that seq was there already."""
        held = self._by_reference(params)
        try:
            imported = self.run("import_message", conversation_id=conversation_id, **params)
        except DuplicateIdempotencyKey as error:
            raise InvalidInput(
                f"conversation {conversation_id} already holds idempotency_key "
                f"{validation.show(params['idempotency_key'])} at another seq"
            ) from error
        if imported:
            self._link(conversation_id, {params["seq"]: set(held)}, held)
        return len(imported)

    # -- attachments -----------------------------------------------------------------

    def _by_reference(self, checked: dict[str, Any]) -> dict[str, Attachment]:
        """Take the attachments out of a checked message's parts, in place
        (:func:`convstore.content.attachments.by_reference`: its
        ``content_parts`` become the parts as stored); return them by SHA-256.
        Its fingerprint, token estimate and text were computed from the
        message as given, and stay."""
        checked["content_parts"], held = attachments.by_reference(
            checked["content_parts"], self.limits
        )
        return held

    def _link(
        self,
        conversation_id: str,
        referenced: Mapping[int, set[str]],
        held: Mapping[str, Attachment],
    ) -> None:
        """Inside a transaction: store the attachments (from ``held``, by
        SHA-256) that the conversation's new messages reference
        (``referenced``: the SHA-256s by seq), for its owner, and record the
        references. Nothing is sent when none is referenced."""
        links = [
            {"seq": seq, "sha256": digest}
            for seq, digests in sorted(referenced.items())
            for digest in sorted(digests)
        ]
        if not links:
            return
        # In SHA-256 order: concurrent writers lock shared rows in one order.
        for digest in sorted(set().union(*referenced.values())):
            self.run(
                "store_attachment",
                conversation_id=conversation_id,
                sha256=digest,
                media_type=held[digest]["media_type"],
                data=held[digest]["data"],
            )
        self.run("link_attachments", conversation_id=conversation_id, links=json.dumps(links))

    def _collect_attachments(self, owners: Iterable[str]) -> None:
        """Inside a transaction that deleted or changed messages of
        ``owners``: delete their attachments that no message references any
        more. Those are locked first, then deleted by a statement that looks
        again (see ``delete_unreferenced_attachments.sql``), so an attachment
        a concurrent write is linking stays."""
        users = sorted(set(owners))
        if not users:
            return
        unreferenced = self.run("lock_unreferenced_attachments", user_ids=json.dumps(users))
        if unreferenced:
            self.run("delete_unreferenced_attachments", unreferenced=json.dumps(unreferenced))

    def _inlined(
        self,
        conversation_id: str,
        rows: list[dict[str, Any]],
        held: Mapping[str, Attachment] | None = None,
    ) -> list[dict[str, Any]] | None:
        """Messages of a conversation with their parts inline: the bytes of
        the attachments they reference come from ``held`` or, the others,
        from one query. ``None`` if one is not stored (a concurrent deletion
        took it with the message, after the messages were read)."""
        wanted = {digest for row in rows for digest in attachments.references(row["content"])}
        if not wanted:
            return rows
        data = {digest: found["data"] for digest, found in (held or {}).items()}
        missing = wanted - data.keys()
        if missing:
            for found in self.run(
                "attachment_data",
                conversation_id=conversation_id,
                sha256s=json.dumps(sorted(missing)),
            ):
                data[found["sha256"]] = found["data"]
        if not wanted <= data.keys():
            return None
        for row in rows:
            if attachments.references(row["content"]):
                row["content"] = attachments.inline(row["content"], data)
        return rows

    def _inlined_or_fail(
        self,
        conversation_id: str,
        rows: list[dict[str, Any]],
        held: Mapping[str, Attachment] | None = None,
    ) -> list[dict[str, Any]]:
        """:meth:`_inlined`, where the rows and the attachments are read in
        one snapshot (a transaction that holds the conversation's lock).

        :raises DatabaseError: for a reference to an attachment that is not
            stored (a row not written by convstore)."""
        inlined = self._inlined(conversation_id, rows, held)
        if inlined is None:
            raise DatabaseError(
                f"a message of conversation {conversation_id} references an attachment "
                "that is not stored; the row was not written by convstore"
            )
        return inlined

    def _read_messages(
        self,
        conversation_id: str,
        reads: AttachmentReads,
        read: Callable[[], list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """The messages ``read()`` returns, their parts inline unless
        ``reads`` is ``"reference"``. The bytes are read by a second
        statement only when a message references an attachment; if a
        concurrent deletion collected one in between, both are read again
        in one snapshot.

        :raises InvalidInput: for ``reads`` other than ``"inline"`` and ``"reference"``.
        """
        inline = validation.attachment_reads(reads) == "inline"
        found = read()
        if not inline:
            return found
        inlined = self._inlined(conversation_id, found)
        if inlined is not None:
            return inlined
        with self.snapshot():
            return self._inlined_or_fail(conversation_id, read())

    def get_attachment(self, sha256: str, user_id: str | None = None) -> Attachment | None:
        """The attachment of ``user_id`` (on a user-scoped view, the view's
        user) whose bytes have this SHA-256 (64 hex digits, as a part read
        with ``attachments="reference"`` names it): its ``sha256``,
        ``media_type``, size in ``bytes`` and ``data``; ``None`` if the user
        holds none. Another user's attachment of the same bytes is never
        returned: attachments are stored per user.

        :raises InvalidInput: for a bad SHA-256 or user id, or on a view, another user.
        """
        found = self.run(
            "get_attachment",
            user_id=self._owner(user_id),
            sha256=validation.sha256_hex("sha256", sha256),
        )
        return cast(Attachment, found[0]) if found else None

    # -- reading ---------------------------------------------------------------------

    def get_conversation(
        self, conversation_id: str, *, attachments: AttachmentReads = "inline"
    ) -> ConversationWithMessages | None:
        """The conversation with all its messages (oldest first) under
        ``"messages"``, or ``None`` if it does not exist. ``attachments``:
        parts whose data is stored as an attachment come back as given
        (``"inline"``) or as stored (``"reference"``), as :meth:`get_messages` says."""
        checked_id = validation.conversation_id(conversation_id)
        validation.attachment_reads(attachments)
        with self.snapshot():
            found = self.run("get_conversation", conversation_id=checked_id)
            if not found:
                return None
            messages = self.run("conversation_messages", conversation_id=checked_id)
            if attachments == "inline":
                messages = self._inlined_or_fail(checked_id, messages)
        return cast(ConversationWithMessages, {**found[0], "messages": messages})

    def get_message(
        self, conversation_id: str, seq: int, *, attachments: AttachmentReads = "inline"
    ) -> Message | None:
        """One message, or ``None`` if it does not exist; ``attachments`` as
        :meth:`get_messages` takes it."""
        checked_id = validation.conversation_id(conversation_id)
        checked_seq = validation.count("seq", seq, minimum=1)
        found = self._read_messages(
            checked_id,
            attachments,
            lambda: self.run("get_message", conversation_id=checked_id, seq=checked_seq),
        )
        return cast(Message, found[0]) if found else None

    def get_messages(
        self,
        conversation_id: str,
        limit: int | None = 50,
        before_seq: int | None = None,
        *,
        attachments: AttachmentReads = "inline",
    ) -> list[Message]:
        """The newest ``limit`` messages (all when ``None``), oldest first.

        Page back through a long conversation by passing the smallest ``seq``
        of one page as ``before_seq`` for the next.

        A part whose base64 data is stored as an attachment (README,
        "Attachments") comes back as it was given with ``attachments="inline"``
        (the default; the bytes are read by one more query, only when the
        page references some), or as stored with ``"reference"``: its data
        field ``None`` and an ``"attachment"`` member with the ``sha256``,
        ``media_type``, size in ``bytes`` and the ``prefix`` before the base64
        (:meth:`get_attachment` reads the bytes).

        :raises InvalidInput: for a bad id, limit, seq or ``attachments``.
        """
        checked_id = validation.conversation_id(conversation_id)
        if limit is None and before_seq is None:
            params: dict[str, Any] = {}
            query_name = "conversation_messages"
        else:
            params = {
                "limit": None if limit is None else validation.count("limit", limit, minimum=1),
                "before_seq": None
                if before_seq is None
                else validation.count("before_seq", before_seq),
            }
            query_name = "get_messages"
        found = self._read_messages(
            checked_id,
            attachments,
            lambda: self.run(query_name, conversation_id=checked_id, **params),
        )
        return cast("list[Message]", found)

    def get_message_fingerprints(self, conversation_id: str) -> list[MessageFingerprint]:
        """What the conversation holds, without its content, oldest first
        (``[]`` if it does not exist): each message's ``seq``, ``kind``,
        ``idempotency_key``, ``fingerprint``
        (:func:`convstore.validation.message_fingerprint` of the message as
        written), and its ``tokens`` and ``pinned``, which the fingerprint
        leaves out. A mirror of another history (a framework's messages)
        compares these with the messages it would write, and replaces,
        deletes or appends only what differs. No content is returned; on
        SQLite each row is still read whole (PostgreSQL keeps long content out
        of line and does not read it)."""
        found = self.run(
            "message_fingerprints",
            conversation_id=validation.conversation_id(conversation_id),
        )
        return cast("list[MessageFingerprint]", found)

    def list_conversations(self, user_id: str | None = None, limit: int = 20) -> list[Conversation]:
        """A user's conversations, most recently active first (without messages)."""
        found = self.run(
            "list_conversations",
            user_id=self._owner(user_id),
            limit=validation.count("limit", limit, minimum=1),
        )
        return cast("list[Conversation]", found)

    def list_users(self, limit: int = 20) -> list[UserSummary]:
        """The users who have conversations, most recently active first (by
        the order of writes, as :meth:`list_conversations`), each with their
        ``conversations``, ``messages`` and ``last_activity_at``. On a
        user-scoped view, only the view's user (``[]`` without conversations).

        Counted from the conversations' counters, never from their messages,
        but every conversation row is read: about 0.1 s per 200,000
        conversations (a view reads only its user's).

        :raises InvalidInput: for a ``limit`` below 1.
        """
        found = self.run(
            "list_users",
            user_id=self.user_id,
            limit=validation.count("limit", limit, minimum=1),
        )
        return cast("list[UserSummary]", found)

    def get_recent_context(
        self,
        conversation_id: str,
        max_tokens: int = 4000,
        keep_tool_groups: bool = True,
        *,
        attachments: AttachmentReads = "inline",
    ) -> list[ContextMessage]:
        """The newest messages whose tokens fit ``max_tokens``, oldest first.

        Pinned messages always come first in the budget: the result is every
        pinned message plus the longest run of newest unpinned messages whose
        counted tokens (an estimate where none was given; a ``NULL`` of a row
        written before convstore estimated counts as 100) fit in what is left. If the
        newest message alone does not fit, only the pinned messages are
        returned (even if they alone exceed the budget).

        With ``keep_tool_groups`` (the default) the run never starts on a
        ``tool`` message: the OpenAI API rejects a tool result whose assistant
        tool call is missing. Each message carries ``suffix_tokens``, the
        tokens from it to the newest; the first one's is the context's total.

        Costs one index lookup plus the rows returned, however long the
        conversation (and one query more for the bytes of the attachments
        they reference, when ``attachments`` is ``"inline"``, the default:
        :meth:`get_messages` says more).
        """
        checked_id = validation.conversation_id(conversation_id)
        params = {
            "max_tokens": validation.count("max_tokens", max_tokens),
            "keep_tool_groups": validation.flag("keep_tool_groups", keep_tool_groups),
        }
        found = self._read_messages(
            checked_id,
            attachments,
            lambda: self.run("recent_context", conversation_id=checked_id, **params),
        )
        return cast("list[ContextMessage]", found)

    def search_messages(
        self,
        user_id: str | None,
        query: str,
        limit: int = 20,
        conversation_id: str | None = None,
    ) -> list[MessageHit]:
        """Full-text search over a user's messages, best match first.

        ``query`` is search-box text: words (all must match), ``"quoted
        phrases"``, ``-excluded`` words and ``or``. Each result has the
        message's ``conversation_id``, ``title``, ``seq``, ``role``,
        ``content``, ``created_at``, a ``rank`` (higher is better) and a
        ``snippet`` with the matched words marked «like this». Words are folded
        (case, diacritics, punctuation; each CJK character a word) and never
        stemmed: README, "Search, metadata and reports". A query with nothing to search for finds
        nothing.

        :raises InvalidInput: for a query of more than 1,000 words
            (:data:`~convstore.content.search_query.MAX_QUERY_WORDS`).
        """
        found = self._search(
            "search_messages",
            user_id,
            query,
            limit,
            conversation_id=None
            if conversation_id is None
            else validation.conversation_id(conversation_id),
        )
        return cast("list[MessageHit]", found)

    def search_conversations(
        self, user_id: str | None, query: str, limit: int = 20
    ) -> list[ConversationHit]:
        """:meth:`search_messages` grouped by conversation: the conversations
        with the best matches first, each with ``matching_messages``, the
        ``rank`` and ``best_seq`` of its best match and that match's ``snippet``."""
        found = self._search("search_conversations", user_id, query, limit)
        return cast("list[ConversationHit]", found)

    def _search(
        self, query_name: str, user_id: str | None, query: str, limit: int, **params: Any
    ) -> list[dict[str, Any]]:
        owner = self._owner(user_id)
        parsed = search_query.parse(validation.text("query", query, self.limits))
        expression = self.database.search_expression(parsed)
        limit = validation.count("limit", limit, minimum=1)
        if expression is None:
            return []
        self._index_pending_search(owner)
        found = self.run(query_name, user_id=owner, query=expression, limit=limit, **params)
        for row in found:
            row["snippet"] = snippets.snippet(row["content"], parsed)
            if query_name == "search_messages":
                row["branch_ids"].sort()  # SQLite's json_group_array has no ORDER BY
            if query_name == "search_conversations":
                del row["content"]  # the best match's, for its snippet
        return found

    def index_pending_search(
        self,
        user_id: str | None = None,
        *,
        on_progress: Callable[[int, int], object] | None = None,
    ) -> int:
        """Index for search the messages appended (or changed) since the last
        search of their user, and return how many were indexed.

        Appends leave this work to later (README, "Search, metadata and
        reports"). Each search first indexes its own user's messages, and
        finds every message either way, so calling this is never needed for
        results; it moves the work to a moment of your choosing, after a bulk
        import, say, or from a job.
        ``user_id`` limits it to one user's messages (on a view, the view's
        user); ``None`` on a store indexes everyone's, a user at a time. It
        indexes at most as many messages as were waiting when it began, in
        transactions of at most :data:`SEARCH_INDEXING_BATCH` messages and
        :data:`SEARCH_INDEXING_BYTES` of text. Sessions indexing one user's
        messages take turns, a transaction each (inside a caller's
        transaction it takes no turn, so as not to hold others up until that
        ends); rows another session is writing are left for later.
        ``on_progress``, if given, is called after each transaction with the
        messages indexed so far and the number waiting when it began (what
        it raises stops the indexing, and is raised).

        :raises InvalidInput: for a bad user id, or on a view, for another user.
        :raises ReadOnlyDatabase: on a SQLite file opened read-only, a
            PostgreSQL standby or in a read-only transaction.
        """
        owner = None if user_id is None and self.user_id is None else self._owner(user_id)
        waiting = self.run("unindexed_messages", user_id=owner)
        backlog = sum(row["unindexed"] for row in waiting)
        indexed = 0

        def count(batch: int) -> None:
            nonlocal indexed
            indexed += batch
            if on_progress is not None:
                on_progress(indexed, backlog)

        for row in waiting:
            self._index_for_search(row["user_id"], row["unindexed"], count)
        return indexed

    def _index_for_search(
        self, owner: str, backlog: int, on_batch: Callable[[int], object] | None = None
    ) -> None:
        """Index up to ``backlog`` of ``owner``'s messages for search, a
        batch per transaction, until none is left that no other session
        holds; ``on_batch`` is called with each batch's size. Outside a
        caller's transaction each batch takes the user's turn first, trying
        again every :data:`SEARCH_TURN_RETRY` while another session has it."""
        take_turns = not self.database.in_transaction()
        indexed = 0
        while indexed < backlog:
            with self.database.transaction():  # inside a caller's transaction, a savepoint
                if (
                    take_turns
                    and not self.run("claim_search_indexing", user_id=owner)[0]["claimed"]
                ):
                    found = None
                else:
                    found = self.run(
                        "index_pending_search",
                        user_id=owner,
                        limit=min(SEARCH_INDEXING_BATCH, backlog - indexed),
                        max_bytes=SEARCH_INDEXING_BYTES,
                    )
            if found is None:  # another session's turn
                time.sleep(SEARCH_TURN_RETRY)
                continue
            if not found:
                return
            indexed += len(found)
            if on_batch is not None:
                on_batch(len(found))

    def _index_pending_search(self, owner: str) -> None:
        """A search's first step, in transactions of its own, and only when
        the user has messages to index: never inside a caller's transaction
        or snapshot (its writes would hold row locks, or SQLite's write lock,
        until that ends), and on SQLite only if no other writer holds the
        file for longer than :data:`~convstore.db.base.BRIEF_WRITE_WAIT`.
        Messages left unindexed, there or where indexing fails (a file opened
        read-only, a standby, a role without UPDATE on messages), and
        messages appended while it works, the search reads from their text
        (search_messages.sql)."""
        if self.database.in_transaction():
            return
        waiting = self.run("unindexed_messages", user_id=owner)
        if not waiting:
            return
        try:
            with self.database.waiting_briefly():
                self._index_for_search(owner, waiting[0]["unindexed"])
        except (DatabaseError, DatabaseUnavailable) as error:
            logger.info("search indexing skipped, the search reads the rest: %s", error)

    def find_messages(self, user_id: str | None, text: str, limit: int = 50) -> list[TextMatch]:
        """A user's messages containing ``text`` exactly, newest written first.
        Case is ignored by Unicode's lower-case mapping on both databases
        (``É`` finds ``é``; not full case folding: ``STRASSE`` does not find
        ``straße``, nor a decomposed ``é`` a precomposed one); ``%``, ``_``
        and ``\\`` are plain characters."""
        if not validation.text("text", text, self.limits):
            raise InvalidInput("text must not be empty")
        found = self.run(
            "find_messages",
            user_id=self._owner(user_id),
            text=text,
            limit=validation.count("limit", limit, minimum=1),
        )
        return cast("list[TextMatch]", found)

    def find_messages_by_metadata(
        self, user_id: str | None, metadata: Mapping[str, Any], limit: int = 50
    ) -> list[MetadataMatch]:
        """A user's messages whose metadata contains ``metadata``, newest first,
        by PostgreSQL's jsonb ``@>`` rules on both databases: each key with a
        value that contains the wanted one, nested objects included; an array
        contains another if it holds each of its elements (in any order,
        repeats ignored); numbers by value (``1 == 1.0``), ``true`` is not ``1``."""
        found = self.run(
            "messages_by_metadata",
            user_id=self._owner(user_id),
            metadata=validation.metadata_json("metadata", metadata, self.limits),
            limit=validation.count("limit", limit, minimum=1),
        )
        return cast("list[MetadataMatch]", found)

    def find_conversations_by_metadata(
        self, user_id: str | None, metadata: Mapping[str, Any], limit: int = 20
    ) -> list[Conversation]:
        """A user's conversations whose metadata contains ``metadata`` (as
        :meth:`find_messages_by_metadata` decides), most recently active first."""
        found = self.run(
            "conversations_by_metadata",
            user_id=self._owner(user_id),
            metadata=validation.metadata_json("metadata", metadata, self.limits),
            limit=validation.count("limit", limit, minimum=1),
        )
        return cast("list[Conversation]", found)

    def get_user_stats(self, user_id: str | None = None) -> UserStats:
        """A user's ``conversations``, ``messages``, ``messages_by_role``,
        ``tokens`` (reported counts), ``first_activity_at`` and ``last_activity_at``."""
        owner = self._owner(user_id)
        per_role = self.run("user_stats", user_id=owner)
        first = per_role[0] if per_role else {}
        by_role = {row["role"]: row["messages"] for row in per_role if row["role"] is not None}
        return UserStats(
            user_id=owner,
            conversations=first.get("conversations", 0),
            messages=sum(by_role.values()),
            messages_by_role=by_role,
            tokens=sum(row["tokens"] for row in per_role),
            first_activity_at=first.get("first_activity_at"),
            last_activity_at=first.get("last_activity_at"),
        )

    def get_conversation_stats(self, conversation_id: str) -> ConversationStats | None:
        """``message_count``, ``total_tokens`` (reported counts only),
        ``avg_latency_ms``, ``started_at`` and ``last_message_at``; ``None`` if
        the conversation does not exist."""
        found = self.run(
            "conversation_stats",
            conversation_id=validation.conversation_id(conversation_id),
        )
        return cast(ConversationStats, found[0]) if found else None

    # -- transactions, tracing, lifetime -----------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Make the calls inside the block one atomic unit: all are committed
        when the outermost block ends, none if it raises. Blocks nest (as
        savepoints). On SQLite the write lock is taken when the block starts."""
        with self._user_scope(), self.database.transaction():
            yield self

    @contextmanager
    def snapshot(self) -> Iterator[Store]:
        """Make the reads inside the block see one snapshot of the database
        (a read transaction: SQLite's deferred transaction, which takes no
        write lock; REPEATABLE READ on PostgreSQL). Inside a transaction it
        is a savepoint of that transaction."""
        with self._user_scope(), self.database.transaction(write=False):
            yield self

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """The driver connection of a transaction, for SQL of your own (for
        example the functions of :mod:`convstore.queries`); committed when the
        block ends, rolled back if it raises.

        On a user-scoped PostgreSQL view, row-level security limits it to the
        view's user, for any role but the tables' owner and superusers, and no
        SQL run on it can lift that limit (see the README's "Isolation").
        SQLite has no row-level security: there the connection reaches the
        whole file.

        :raises InvalidInput: on a PostgreSQL view, inside a transaction that
            was not opened by a view of the same user.
        """
        with self._user_scope(sealed=True), self.database.lent() as connection:
            yield connection

    @contextmanager
    def tracer(self, trace: Tracer) -> Iterator[None]:
        """Call ``trace(statement, params)`` for every statement this store runs
        while the block is open (in any thread), e.g. ``with store.tracer(print): ...``."""
        previous, self.database.tracer = self.database.tracer, trace
        try:
            yield
        finally:
            self.database.tracer = previous

    def close(self) -> None:
        """Close the connections (a user-scoped view leaves them to its store)."""
        if self.user_id is None:
            self.database.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextmanager
def _safe_to_repeat() -> Iterator[None]:
    """For a write that does the same when repeated (a delete, setting a
    value): a lost answer is no reason to doubt a retry, so it stays retryable."""
    try:
        yield
    except OutcomeUnknown as error:
        raise DatabaseUnavailable(f"{error} -- repeating this call is safe") from error


def _batch_parts(batch: list[dict[str, Any]]) -> list[tuple[list[str | None], str]]:
    """A checked batch as (idempotency keys, JSON array) runs of at most
    ``BATCH_JSON_BYTES`` each (a single larger message is a run of its own:
    the limits keep it far below jsonb's 256 MB). Usually one run, encoded once."""
    whole = json.dumps(batch, ensure_ascii=False)
    if len(whole) * 4 <= BATCH_JSON_BYTES or len(whole.encode("utf-8")) <= BATCH_JSON_BYTES:
        return [([message["idempotency_key"] for message in batch], whole)]
    runs: list[list[dict[str, Any]]] = [[]]
    size = 0
    for message in batch:
        message_bytes = len(json.dumps(message, ensure_ascii=False).encode("utf-8")) + 1
        if runs[-1] and size + message_bytes > BATCH_JSON_BYTES:
            runs.append([])
            size = 0
        runs[-1].append(message)
        size += message_bytes
    return [
        ([message["idempotency_key"] for message in run], json.dumps(run, ensure_ascii=False))
        for run in runs
    ]


def _deletion_counts(deleted: list[dict[str, Any]]) -> DeletionCounts:
    return DeletionCounts(
        conversations=len(deleted),
        messages=sum(conversation["message_count"] for conversation in deleted),
    )


def _fork_of_import(given: Mapping[str, Any]) -> tuple[str, int] | None:
    """The checked parent and fork seq of an imported branch; ``None`` for a root."""
    parent_id, fork_seq = given.get("parent_id"), given.get("fork_seq")
    if (parent_id is None) != (fork_seq is None):
        raise InvalidInput(
            "conversation.parent_id and conversation.fork_seq go together: "
            "both for a branch, neither for a root"
        )
    if parent_id is None:
        return None
    try:
        checked_parent = validation.conversation_id(parent_id)
    except InvalidInput as error:
        raise InvalidInput(
            str(error).replace("conversation_id", "conversation.parent_id", 1)
        ) from None
    return checked_parent, validation.count("conversation.fork_seq", fork_seq)


def _unique(field: str, values: list[Any]) -> None:
    """Refuse two messages of one import with the same ``field`` (``None`` repeats)."""
    seen: set[Any] = set()
    for value in values:
        if value is not None and value in seen:
            raise InvalidInput(f"two messages have {field} {value!r}")
        seen.add(value)
