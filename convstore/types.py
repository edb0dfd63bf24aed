"""The shapes of the values the public API takes and returns, in one place.

Each shape is a ``TypedDict``: a plain ``dict`` at runtime, checked by mypy
(as ``llm/serialization.py`` in simonw/llm does). The field lists that code
needs at runtime -- which keys a message may have, which columns a stored
message has -- are derived from these classes, never written out again:

- :data:`MESSAGE_FIELDS`, :data:`CONVERSATION_FIELDS`: a stored message and
  conversation, in the order of the columns the queries return;
- :data:`NEW_MESSAGE_FIELDS`, :data:`REQUIRED_NEW_MESSAGE_FIELDS`: what
  ``add_message`` and ``add_messages`` take;
- :data:`IMPORTED_CONVERSATION_FIELDS`, :data:`IMPORTED_MESSAGE_FIELDS`: what
  :meth:`convstore.Store.import_conversation` takes.

Values come back as :mod:`convstore.db.rows` makes them, the same on both
databases: ids as ``str`` (UUIDs), times as timezone-aware UTC ``datetime``,
JSON (metadata, tool calls) as dicts and lists, ``pinned`` as ``bool``.

This module is the bottom layer: it imports nothing of convstore.
"""

# No `from __future__ import annotations`: a TypedDict reads its annotations
# when the class is made, and the field tuples below are taken from them.
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal, NamedTuple, TypedDict

SQLITE = "sqlite"
POSTGRES = "postgres"
DIALECTS = (SQLITE, POSTGRES)
"""The databases convstore runs on, by the names its SQL folders, URLs and
``Store.dialect`` use."""


class Unchanged(Enum):
    """The type of :data:`UNCHANGED`."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED
"""The default of an update's argument that may also be set to ``None``
(``update_conversation(title=...)``): left out, the value stays as it is."""

ToolCall = dict[str, Any]
"""One OpenAI tool call as stored: ``{"id": ..., "type": "function",
"function": {"name": ..., "arguments": "<JSON text>"}}`` and any other keys
its producer added (see :func:`convstore.validation.tool_call_problem`)."""

Timestamp = datetime | date | str
"""A point in time a caller gives: a ``datetime`` (without a zone: UTC), a
``date`` (its midnight, UTC) or ISO 8601 text, read by
:func:`convstore.validation.timestamp`."""


# -- messages ---------------------------------------------------------------------------


ContentPart = dict[str, Any]
"""One part of a content given as a list, as the OpenAI Chat Completions API
takes it: ``{"type": "text", "text": ...}``, ``{"type": "image_url",
"image_url": {"url": ...}}``, ``{"type": "input_audio", "input_audio":
{"data": ..., "format": ...}}``, ``{"type": "file", "file": {...}}``,
``{"type": "refusal", "refusal": ...}``, or a part of another type, kept as
given (see :func:`convstore.validation.content_part_problem`)."""

Content = str | Sequence[Mapping[str, Any]] | None
"""A message's content: text, a list of :data:`ContentPart`, or ``None``."""


class _NewMessageRequired(TypedDict):
    role: str
    """``system``, ``developer``, ``user``, ``assistant``, ``tool`` or
    ``function`` (the legacy result of a ``function_call``)."""


class NewMessage(_NewMessageRequired, total=False):
    """A message a caller gives to ``add_message`` / ``add_messages``, in the
    OpenAI chat format with convstore's own fields: ``role`` required, the
    rest optional (absent means the default)."""

    content: Content
    """The text, or a list of parts (:data:`ContentPart`); absent or ``None``
    (the same) only for an assistant message that says something else
    (``tool_calls``, ``function_call``, ``refusal`` or an ``extra`` field such
    as ``audio``), a ``function`` message, or an item of another ``kind``."""

    tokens: int | None
    """Its token count; ``None`` (the default) stores convstore's estimate
    from its content (:mod:`convstore.token_estimate`), marked ``tokens_estimated``."""
    latency_ms: int | None
    """How long the model took to generate it, in milliseconds, or ``None``."""
    metadata: Mapping[str, Any] | None
    """A JSON object; ``None`` (the default) means ``{}``."""
    tool_calls: Sequence[Mapping[str, Any]] | None
    """An assistant message's OpenAI tool calls (:data:`ToolCall`), or ``None``;
    an empty list is stored as ``None``."""
    tool_call_id: str | None
    """The id of the tool call a ``tool`` message answers (required for one)."""
    name: str | None
    """The participant's name, or ``None``."""
    pinned: bool
    """``True`` keeps the message in every token-budget context (default ``False``)."""
    idempotency_key: str | None
    """A label unique within the conversation (a request id, say) that makes a
    retried append store nothing new; ``None`` (the default) for none."""
    kind: str
    """What the item is: ``"message"`` (the default), a chat message; any other
    name (lower-case letters, digits, ``_ . : -``; at most 64 characters) is
    another item of a model API, named by its producer's type (the OpenAI
    Responses API's ``"reasoning"``, ``"function_call"``,
    ``"web_search_call"``; pydantic-ai's ``"thinking"``). Items of another
    kind may have no content, are counted in the token budget like messages,
    are found by search by their ``content`` only, and are never sent by the
    agent nor written to a JSONL line's chat ``messages`` (README, "Items
    that are not chat messages")."""
    payload: Any
    """The item exactly as its producer gave it: a JSON object or array (a
    Responses-API item, a pydantic-ai part), returned as stored; ``None``
    (the default) for none."""
    function_call: Mapping[str, Any] | None
    """An assistant message's legacy call of a function, ``{"name": ...,
    "arguments": "<JSON text>"}`` (answered by a ``function`` message), or ``None``."""
    refusal: str | None
    """An assistant message's refusal, or ``None``."""
    weight: int | None
    """0 or 1: whether a fine-tuning job learns from this (assistant) message
    (OpenAI's fine-tuning guide, "weight"); ``None`` (the default) for not given."""
    extra: Mapping[str, Any] | None
    """The message's other fields, which convstore has no column for (an
    assistant message's ``audio``, a provider's own field), kept and given
    back as given: a JSON object whose keys are not fields of a
    :class:`NewMessage`; ``None`` (the default) means ``{}``."""


class Message(TypedDict):
    """A message as the store returns it (``get_message``, ``get_messages``,
    ``add_message`` ...): every field present, ``None`` where nothing was given."""

    conversation_id: str
    """Its conversation (a UUID)."""
    seq: int
    """Its place in the conversation: 1, 2, 3 ... in the order of appends;
    a deleted message's ``seq`` is not reused."""
    role: str
    content: str | list[ContentPart] | None
    """As given: text, a list of parts, or ``None`` (a read with
    ``attachments="reference"`` gives parts whose data is an attachment as
    stored: :data:`AttachmentReads`)."""
    tool_calls: list[ToolCall] | None
    tool_call_id: str | None
    name: str | None
    tokens: int | None
    """The token count given, or convstore's estimate (``tokens_estimated``);
    ``None`` only for a row written before convstore estimated (counted as 100)."""
    latency_ms: int | None
    """Generation latency in milliseconds, or ``None``."""
    pinned: bool
    metadata: dict[str, Any]
    """A JSON object (``{}`` when none was given)."""
    idempotency_key: str | None
    created_at: datetime
    """When it was stored (or the time an import gave it), UTC."""
    kind: str
    """``"message"`` for a chat message, or another item's kind (:class:`NewMessage`)."""
    payload: Any
    """The item as its producer gave it (a JSON object or array), or ``None``."""
    function_call: dict[str, Any] | None
    refusal: str | None
    weight: int | None
    extra: dict[str, Any]
    """Its other fields, as given (``{}`` when none were)."""
    tokens_estimated: bool
    """Whether ``tokens`` is convstore's estimate (no count was given)."""


class MessageFingerprint(TypedDict):
    """A message of ``get_message_fingerprints``: what a mirror compares, without its content."""

    seq: int
    kind: str
    idempotency_key: str | None
    fingerprint: str | None
    """:func:`convstore.validation.message_fingerprint` of the message as it
    was written; ``None`` for a message written before convstore kept them
    (migrations ``pg_0017`` / ``sqlite_0010``)."""
    tokens: int | None
    """Its token count, which the fingerprint leaves out."""
    tokens_estimated: bool
    """Whether that count is convstore's estimate (none was given)."""
    pinned: bool
    """Its pin, which the fingerprint leaves out."""


class ContextMessage(Message):
    """A message of ``get_recent_context``."""

    suffix_tokens: int
    """The counted tokens from this message to the newest of the context
    (a ``None`` as 100): the first message's is the context's total."""


class _ImportedMessageRequired(NewMessage):
    seq: int
    """Its place in the conversation, at least 1, unique among the messages given."""
    created_at: Timestamp
    """When it was written."""


class ImportedMessage(_ImportedMessageRequired, total=False):
    """A message given to :meth:`convstore.Store.import_conversation`: a
    :class:`NewMessage` with its own ``seq`` and ``created_at``, both required."""

    tokens_estimated: bool
    """Whether ``tokens`` is an estimate, as a :class:`Message` says (an
    export keeps it); ``False`` (the default): a count given."""


class Attachment(TypedDict):
    """Bytes a content part held as base64 (an image's ``data:`` URL, an
    audio's ``data``, a file's ``file_data``), stored once per user: what
    ``get_attachment`` returns. A part read with ``attachments="reference"``
    names it by ``sha256`` (README, "Attachments")."""

    sha256: str
    """SHA-256 of the bytes, 64 lower-case hex digits: its key, per user."""
    media_type: str
    """The media type (RFC 6838) of the first part that held the bytes:
    ``image/png``, ``audio/wav`` ...; ``application/octet-stream`` when the
    part named none convstore could read."""
    bytes: int
    """Its size in bytes."""
    data: bytes
    """The bytes."""


AttachmentReads = Literal["inline", "reference"]
"""How a read gives back a part whose data is stored as an attachment:
``"inline"`` (the default) as it was given, base64 in place; ``"reference"``
as stored, the data field ``None`` and an ``"attachment"`` member naming the
bytes (README, "Attachments")."""


# -- conversations ----------------------------------------------------------------------


class Conversation(TypedDict):
    """A conversation without its messages, as ``list_conversations``,
    ``find_conversations_by_metadata`` (and, with its messages,
    ``get_conversation``) return it."""

    id: str
    """A UUID."""
    user_id: str
    """Its owner."""
    title: str | None
    metadata: dict[str, Any]
    """A JSON object (``{}`` when none was given)."""
    created_at: datetime
    """When it was created (or the time an import gave it), UTC."""
    updated_at: datetime
    """Its last activity: its creation or its newest message, UTC."""
    message_count: int
    """How many messages it holds now (a branch: those it shares included)."""
    parent_id: str | None
    """For a branch, the conversation it was forked from; ``None`` for a root."""
    fork_seq: int | None
    """For a branch, the last seq it shares with its parent (its own messages
    come after); ``None`` for a root."""
    last_seq: int
    """The highest seq it has given: its next message gets ``last_seq + 1``
    (the seqs of deleted messages are not given again)."""
    extra: dict[str, Any]
    """Its other fields, which convstore has no column for, kept and given
    back as given (``{}`` when none were): above all those of an OpenAI chat
    fine-tuning line -- ``tools`` (an array of tool objects), ``functions``
    (an array of function objects, the legacy form) and
    ``parallel_tool_calls`` (a boolean) -- and whatever else a source carries
    (ChatGPT's ``default_model_slug``, llm's ``model``). Checked by
    :func:`convstore.validation.conversation_extra_json`. A branch starts
    with its parent's: it is the same conversation, continued."""


class ConversationWithMessages(Conversation):
    """What ``get_conversation`` returns."""

    messages: list[Message]
    """All its messages, oldest (lowest ``seq``) first."""


class _ImportedConversationId(TypedDict):
    id: str
    """Its id, a UUID or a name that stands for one
    (:func:`convstore.validation.conversation_id`), kept: an import does not
    make a new one."""


class _ImportedConversationOptional(_ImportedConversationId, total=False):
    user_id: str
    """Its owner; on a user-scoped view it may be left out (the view's user)."""
    title: str | None
    metadata: Mapping[str, Any] | None
    """A JSON object; ``None`` or absent means ``{}``."""
    parent_id: str | None
    """For a branch: the conversation it was forked from, which must be
    imported first (same owner); ``None`` or absent for a root."""
    fork_seq: int | None
    """For a branch: the last seq it shares with its parent; given with ``parent_id``."""
    last_seq: int | None
    """The highest seq it had given (its newest messages may have been
    deleted since): kept, so that their seqs are not given again. ``None``
    or absent: its newest message's."""
    extra: Mapping[str, Any] | None
    """Its other fields, as :attr:`Conversation.extra` holds them; ``None``
    or absent means ``{}``."""


class ImportedConversation(_ImportedConversationOptional):
    """A conversation given to :meth:`convstore.Store.import_conversation`, as
    the ``"conversation"`` of a JSONL export line: a :class:`Conversation`
    without its counters, which are counted from its messages. ``id``,
    ``created_at`` and ``updated_at`` are required."""

    created_at: Timestamp
    """When it was created."""
    updated_at: Timestamp
    """Its last activity; an import moves an existing conversation's forward
    to this (or its newest message), never back."""


class ImportResult(NamedTuple):
    """What :meth:`convstore.Store.import_conversation` stored."""

    created: bool
    """Whether the conversation was new (an existing one is kept as it was,
    apart from its counters and a later ``updated_at``)."""
    messages: int
    """How many of the messages were new (a ``seq`` already there is kept as it was)."""
    rejected: tuple[tuple[int, str], ...] = ()
    """With ``skip_invalid=True``: ``(index in the messages given, reason)`` of
    each message that was not stored because it is not valid or the database
    refused it, in the order given; otherwise always empty."""


# -- searches and lookups ---------------------------------------------------------------


class TextMatch(TypedDict):
    """A message of ``find_messages``: one that contains the text searched for."""

    conversation_id: str
    title: str | None
    """Its conversation's title."""
    seq: int
    role: str
    content: str | None
    created_at: datetime


class MessageHit(TextMatch):
    """A result of ``search_messages``. A message that branches share is
    found once, with the conversation that wrote it as ``conversation_id``."""

    rank: float
    """How well it matches; higher is better (comparable within one search only)."""
    snippet: str
    """Its content around the matched words, which are marked «like this»."""
    branch_ids: list[str]
    """The branches that share it (forked at or after it), in id order; ``[]``
    when none does."""


class ConversationHit(Conversation):
    """A result of ``search_conversations``: a conversation and its best match."""

    matching_messages: int
    """How many of its messages match."""
    rank: float
    """The best match's rank; higher is better."""
    best_seq: int
    """The ``seq`` of the best-matching message."""
    snippet: str
    """That message's content around the matched words, marked «like this»."""


class MetadataMatch(TypedDict):
    """A message of ``find_messages_by_metadata``."""

    conversation_id: str
    seq: int
    role: str
    content: str | None
    tokens: int | None
    latency_ms: int | None
    metadata: dict[str, Any]
    created_at: datetime


# -- statistics and deletions -----------------------------------------------------------


class ConversationStats(TypedDict):
    """What ``get_conversation_stats`` returns."""

    conversation_id: str
    message_count: int
    total_tokens: int
    """The sum of the reported token counts (estimated and unknown ones count 0 here)."""
    avg_latency_ms: float | None
    """The mean of the reported latencies, in milliseconds; ``None`` if none was."""
    started_at: datetime
    """When the conversation was created."""
    last_message_at: datetime | None
    """When its newest message was written; ``None`` without messages."""


class UserStats(TypedDict):
    """What ``get_user_stats`` returns."""

    user_id: str
    conversations: int
    messages: int
    messages_by_role: dict[str, int]
    """Message counts by role; roles with no message are absent."""
    tokens: int
    """The sum of the reported token counts (estimated and unknown ones count 0 here)."""
    first_activity_at: datetime | None
    """The creation of the user's first conversation; ``None`` without any."""
    last_activity_at: datetime | None
    """The latest activity in any of the user's conversations; ``None`` without any."""


class UserSummary(TypedDict):
    """A user as ``list_users`` returns them: one who has a conversation."""

    user_id: str
    conversations: int
    """How many conversations they have (branches included)."""
    messages: int
    """How many messages those store (a message that branches share is
    counted once, in the conversation that wrote it), as ``get_user_stats``
    counts them."""
    last_activity_at: datetime
    """The latest activity in any of their conversations, UTC."""


class Branch(TypedDict):
    """A conversation in its tree of branches, as ``list_branches`` returns it."""

    conversation_id: str
    parent_id: str | None
    """The conversation it was forked from; ``None`` for a root."""
    fork_seq: int | None
    """The last seq it shares with its parent (its own messages come after);
    ``None`` for a root."""
    title: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    message_count: int
    """How many messages it holds, those it shares included."""


class TreeBranch(Branch):
    """A member of a tree, as ``get_conversation_tree`` returns it."""

    depth: int
    """0 for the root, 1 for its branches, 2 for theirs ..."""


class BranchPlace(TypedDict):
    """Where a conversation is in its tree, as ``get_branch`` returns it."""

    conversation_id: str
    parent_id: str | None
    """The conversation it was forked from; ``None`` for a root."""
    fork_seq: int | None
    """The last seq it shares with its parent; ``None`` for a root."""
    root_id: str
    """The tree's root (itself for a root)."""
    depth: int
    """0 for the root, 1 for its branches ..."""
    active_branch_id: str
    """The tree's active branch, which a client shows (ChatGPT's
    ``current_node``): the root unless ``set_active_branch`` chose another."""


class DeletionCounts(TypedDict):
    """What ``delete_user_data`` and ``purge_conversations`` deleted."""

    conversations: int
    messages: int
    """The messages they stored (a branch's shared messages are its
    ancestors', counted there)."""


# -- field lists, derived ---------------------------------------------------------------

MESSAGE_FIELDS: tuple[str, ...] = tuple(Message.__annotations__)
"""The fields of a stored :class:`Message`, in the order of the columns the
message queries return: ``conversation_id, seq, role, content, tool_calls,
tool_call_id, name, tokens, latency_ms, pinned, metadata, idempotency_key,
created_at, kind, payload, function_call, refusal, weight, extra,
tokens_estimated`` (the queries also return ``content_parts``, which
:mod:`convstore.db.rows` makes the ``content`` of a message given as parts)."""

CONVERSATION_FIELDS: tuple[str, ...] = tuple(Conversation.__annotations__)
"""The fields of a stored :class:`Conversation`, in the order of the columns
the conversation queries return: ``id, user_id, title, metadata, created_at,
updated_at, message_count, parent_id, fork_seq, last_seq, extra``."""

NEW_MESSAGE_FIELDS: tuple[str, ...] = tuple(NewMessage.__annotations__)
"""The fields a :class:`NewMessage` may have: ``role`` then the optional ones."""

REQUIRED_NEW_MESSAGE_FIELDS: frozenset[str] = NewMessage.__required_keys__
"""``role``."""

IMPORTED_MESSAGE_FIELDS: tuple[str, ...] = tuple(ImportedMessage.__annotations__)
"""The fields an :class:`ImportedMessage` may have."""

REQUIRED_IMPORTED_MESSAGE_FIELDS: frozenset[str] = ImportedMessage.__required_keys__
"""``role``, ``seq`` and ``created_at``."""

IMPORTED_CONVERSATION_FIELDS: tuple[str, ...] = tuple(ImportedConversation.__annotations__)
"""The fields an :class:`ImportedConversation` may have."""

REQUIRED_IMPORTED_CONVERSATION_FIELDS: frozenset[str] = ImportedConversation.__required_keys__
"""``id``, ``created_at`` and ``updated_at`` (and ``user_id`` on a store that
is not a user-scoped view, checked by the store)."""
