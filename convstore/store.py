"""The public API: one :class:`Store`, the same on SQLite and PostgreSQL.

Every method runs named queries from ``sql/<dialect>/`` through the query
runner and returns JSON-ready plain values: dicts, ``str`` ids, timezone-aware
UTC datetimes, metadata as dicts. Arguments are checked before anything is
written; a failed call leaves the database as it was.

Reads of a conversation that does not exist return ``None`` or an empty list;
writes to one raise :class:`~convstore.errors.NotFound`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from . import validation
from .database import Database, Tracer
from .errors import InvalidInput, NotFound

Message = dict[str, Any]
Conversation = dict[str, Any]

_MESSAGE_FIELDS = frozenset(
    {"role", "content", "tokens", "latency_ms", "metadata", "tool_calls", "tool_call_id", "name"}
)


class Store:
    """Conversations and their messages in one database.

    Thread-safe: each call takes a connection from the pool for its own use.
    Use it as a context manager, or call :meth:`close`, to release the connections.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgres"``."""
        return self.database.dialect

    # -- writing ---------------------------------------------------------------------

    def create_conversation(
        self, user_id: str, title: str | None = None, metadata: Mapping[str, Any] | None = None
    ) -> str:
        """Create a conversation owned by ``user_id``; return its id (a UUID string)."""
        created = self.database.run(
            "create_conversation",
            id=str(uuid.uuid4()),
            user_id=validation.user_id(user_id),
            title=validation.optional_text("title", title),
            metadata=validation.metadata_json("metadata", metadata),
        )
        return created[0]["id"]

    def add_message(
        self,
        conversation_id: str,
        role: str,
        content: str | None,
        tokens: int | None = None,
        latency_ms: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        tool_calls: list[Mapping[str, Any]] | None = None,
        tool_call_id: str | None = None,
        name: str | None = None,
    ) -> Message:
        """Append a message and return it as stored, with its ``seq``.

        The message gets the conversation's next ``seq`` (1, 2, 3 ... with no
        gaps, also under concurrent appends). ``tokens=None`` means unknown; the
        token budget counts such a message as 100 tokens.

        :raises NotFound: if the conversation does not exist.
        :raises InvalidInput: for a bad role, count, metadata or text.
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
        )
        checked_id = validation.conversation_id(conversation_id)
        appended = self.database.run("append_message", conversation_id=checked_id, **params)
        if not appended:
            raise NotFound(f"conversation {checked_id} does not exist")
        return appended[0]

    def add_messages(
        self, conversation_id: str, messages: Iterable[Mapping[str, Any]]
    ) -> list[Message]:
        """Append several messages in one transaction, in the order given, and
        return them as stored. Each is a mapping with the keyword arguments of
        :meth:`add_message` (``role`` and ``content`` at least). If any is
        invalid, none is stored."""
        checked_id = validation.conversation_id(conversation_id)
        params_list = [
            {"conversation_id": checked_id, **validation.message(**_message_fields(message))}
            for message in messages
        ]
        appended = self.database.run_many("append_message", params_list)
        if len(appended) != len(params_list):
            raise NotFound(f"conversation {checked_id} does not exist")
        return appended

    def delete_conversation(self, conversation_id: str) -> bool:
        """Delete a conversation and all its messages; ``True`` if it existed."""
        deleted = self.database.run(
            "delete_conversation", conversation_id=validation.conversation_id(conversation_id)
        )
        return bool(deleted)

    # -- reading ---------------------------------------------------------------------

    def get_conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation with all its messages (oldest first) under
        ``"messages"``, or ``None`` if it does not exist."""
        checked_id = validation.conversation_id(conversation_id)
        with self.database.transaction(write=False):
            found = self.database.run("get_conversation", conversation_id=checked_id)
            if not found:
                return None
            messages = self.database.run("conversation_messages", conversation_id=checked_id)
        return {**found[0], "messages": messages}

    def get_messages(
        self, conversation_id: str, limit: int | None = 50, before_seq: int | None = None
    ) -> list[Message]:
        """The newest ``limit`` messages (all when ``None``), oldest first.

        Page back through a long conversation by passing the smallest ``seq``
        of one page as ``before_seq`` for the next.
        """
        checked_id = validation.conversation_id(conversation_id)
        if limit is None and before_seq is None:
            return self.database.run("conversation_messages", conversation_id=checked_id)
        return self.database.run(
            "get_messages",
            conversation_id=checked_id,
            limit=None if limit is None else validation.count("limit", limit, minimum=1),
            before_seq=None if before_seq is None else validation.count("before_seq", before_seq),
        )

    def list_conversations(self, user_id: str, limit: int = 20) -> list[Conversation]:
        """A user's conversations, most recently active first (without messages)."""
        return self.database.run(
            "list_conversations",
            user_id=validation.user_id(user_id),
            limit=validation.count("limit", limit, minimum=1),
        )

    def get_recent_context(self, conversation_id: str, max_tokens: int = 4000) -> list[Message]:
        """The newest messages whose tokens fit ``max_tokens``, oldest first.

        This is the longest run of newest messages whose counted tokens sum to
        at most ``max_tokens`` (a message with unknown tokens counts as 100).
        If the newest message alone exceeds the budget, the result is empty.
        Each message carries ``suffix_tokens``: the tokens from it to the newest.
        """
        return self.database.run(
            "recent_context",
            conversation_id=validation.conversation_id(conversation_id),
            max_tokens=validation.count("max_tokens", max_tokens),
        )

    def search_conversations(self, user_id: str, query: str, limit: int = 20) -> list[Conversation]:
        """A user's conversations having a message that contains ``query``
        (case-insensitive, matched literally), most recently active first, each
        with ``matching_messages``."""
        if not validation.text("query", query).strip():
            raise InvalidInput("query must contain something to search for")
        return self.database.run(
            "search_conversations",
            user_id=validation.user_id(user_id),
            query=query,
            limit=validation.count("limit", limit, minimum=1),
        )

    def get_conversation_stats(self, conversation_id: str) -> dict[str, Any] | None:
        """``message_count``, ``total_tokens`` (reported counts only),
        ``avg_latency_ms``, ``started_at`` and ``last_message_at``; ``None`` if
        the conversation does not exist."""
        found = self.database.run(
            "conversation_stats", conversation_id=validation.conversation_id(conversation_id)
        )
        return found[0] if found else None

    # -- transactions, tracing, lifetime -----------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Make the calls inside the block one atomic unit: all are committed
        when the outermost block ends, none if it raises. Blocks nest (as
        savepoints). On SQLite the write lock is taken when the block starts."""
        with self.database.transaction():
            yield self

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
        self.database.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _message_fields(message: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(message, Mapping):
        raise InvalidInput(f"each message must be a mapping, got {type(message).__name__}")
    unknown = set(message) - _MESSAGE_FIELDS
    if unknown:
        raise InvalidInput(f"unknown message fields: {', '.join(sorted(map(str, unknown)))}")
    if "role" not in message or "content" not in message:
        raise InvalidInput("each message needs a role and a content (content may be None)")
    return dict(message)
