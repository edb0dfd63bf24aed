"""LangGraph checkpoints stored by convstore (the extra ``langgraph``).

:class:`ConvstoreSaver` is a ``BaseCheckpointSaver`` (langgraph-checkpoint
4.3, sync and async methods) whose tables are created by convstore's
migrations (``pg_0018`` / ``sqlite_0012``: no ``setup()`` to call or race)
and whose statements are ``sql/<dialect>/langgraph/*.sql``, run by
convstore's runner on the store's pool.

A thread is a convstore conversation: the thread id names it
(:func:`conversation_id_of`), it is created, owned by the thread's user, at
the thread's first checkpoint, and the root graph's ``messages`` channel is
mirrored into its messages in the transaction that stores each checkpoint
(:mod:`convstore.integrations.langchain_messages`), so search, the token
budget, statistics, reports and exports see the graph's history. The mirror
follows the newest checkpoint of the root graph: edits and removals by
``add_messages``, and forks from an older checkpoint, rewrite exactly the
messages that changed. Deleting the conversation (or erasing its user)
deletes the thread's checkpoints; :meth:`ConvstoreSaver.delete_thread`
deletes the conversation.

Channel values are stored once per channel version, by LangGraph's
serializer; a list (the message list above all) is stored item by item, each
version keeping what it shares with the version before it, so a turn writes
its new messages only, however long the thread.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import json
import math
import re
import secrets
import threading
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from ..errors import DatabaseError, DatabaseUnavailable, InvalidInput
from ..store.async_store import AsyncStore
from ..store.langgraph_tables import LangGraphTables
from ..store.store import ENSURE_ROUNDS, Store
from ..validation import CONVERSATION_NAMESPACE, conversation_id
from .langchain_messages import MirrorHint, clean, is_message_list, mirror

LIST_VALUE = "convstore.list"
"""The ``value_type`` of a list stored item by item."""

EMPTY_VALUE = "empty"
"""The ``value_type`` of a channel emptied at a version (LangGraph's savers' tag)."""

DIGEST_BYTES = 16
"""Bytes of SHA-256 kept per list item to compare lists by."""

DIGEST_CACHE_LISTS = 256
"""Lists whose item digests a saver keeps in memory (see ``_DigestCache``)."""

OWN_VERSION = re.compile(r"[0-9]{16}\.[0-9a-f]{12}")
"""The form of the versions :meth:`ConvstoreSaver.get_next_version` gives."""


def conversation_id_of(thread_id: Any) -> str:
    """The conversation a LangGraph thread is: the one its id names by
    :func:`convstore.validation.conversation_id` (a UUID, or a name), and
    for a thread id that function refuses (a near-UUID, surrounding
    spaces, over 1,024 bytes), the UUID of that name all the same
    (``uuid5(CONVERSATION_NAMESPACE, thread_id)``), so every thread id
    LangGraph accepts works. Thread ids are read as text (``1`` is ``"1"``)."""
    name = str(thread_id)
    try:
        return conversation_id(name)
    except InvalidInput:
        return str(uuid.uuid5(CONVERSATION_NAMESPACE, name))


class ConvstoreSaver(BaseCheckpointSaver[str]):
    """LangGraph checkpoints in a convstore :class:`~convstore.Store` (or
    :class:`~convstore.AsyncStore`; the async methods run the sync ones in
    threads, so one saver serves ``invoke`` and ``ainvoke``).

    The owner of a thread is the store's user on a user-scoped view
    (``store.for_user(...)``), else ``config["configurable"]["user_id"]``
    (or ``config["metadata"]["user_id"]``), else ``user_id``, else, for a
    thread that exists, its conversation's owner; reads are limited to the
    owner when one is known, and a thread of another owner behaves as one
    that does not exist. Do not run a graph inside ``store.transaction()``:
    LangGraph saves from threads of its own.

    :raises convstore.InvalidInput: (from the methods) for a thread id with
        a NUL character, when writing a new thread whose owner is not known,
        or for a config naming another user than the view's.
    :raises convstore.ConversationExists: (from ``put`` and ``put_writes``)
        if another user owns the thread's conversation.
    :raises convstore.DatabaseUnavailable: (retryable; from ``put`` and
        ``put_writes``) if the conversation was deleted each time the write
        was about to lock it.
    """

    def __init__(
        self,
        store: Store | AsyncStore,
        user_id: str | None = None,
        *,
        serde: SerializerProtocol | None = None,
        messages_channel: str = "messages",
    ) -> None:
        super().__init__(serde=serde)
        self.store = store.sync_store if isinstance(store, AsyncStore) else store
        self.user_id = user_id
        self.messages_channel = messages_channel
        """The root graph's channel mirrored into the conversation's messages."""
        self.tables = LangGraphTables(self.store)
        self._digests = _DigestCache()

    # -- reading ------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint ``config`` names (its ``checkpoint_id``, else the
        thread namespace's newest), with its pending writes; ``None`` if none."""
        configurable = config["configurable"]
        thread_id = _thread_id(configurable)
        with self.store.snapshot():
            found = self.tables.run(
                "checkpoint",
                conversation_id=conversation_id_of(thread_id),
                user_id=self._owner(config),
                checkpoint_ns=configurable.get("checkpoint_ns", ""),
                checkpoint_id=get_checkpoint_id(config),
            )
            return self._tuple(found[0], thread_id) if found else None

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints newest first: of ``config``'s thread (and namespace,
        and checkpoint, when it names them), or of every thread the owner
        can see when ``config`` is ``None``; those whose metadata contains
        ``filter``, older than ``before``'s checkpoint, ``limit`` at most.
        They are read in one snapshot when the iteration starts."""
        configurable = (config or {}).get("configurable", {})
        thread_id = _thread_id(configurable) if "thread_id" in configurable else None
        if limit == 0:
            return
        with self.store.snapshot():
            found = self.tables.run(
                "list_checkpoints",
                conversation_id=None if thread_id is None else conversation_id_of(thread_id),
                user_id=self._owner(config or {}),
                checkpoint_ns=configurable.get("checkpoint_ns"),
                checkpoint_id=configurable.get("checkpoint_id"),
                metadata=None if not filter else _json(filter),
                before_checkpoint_id=None if before is None else get_checkpoint_id(before),
                limit=limit,
            )
            tuples = [self._tuple(row, thread_id) for row in found]
        yield from tuples

    def _tuple(self, row: dict[str, Any], thread_id: str | None) -> CheckpointTuple:
        """A checkpoint's row as LangGraph's tuple; its configs name the
        thread as the caller did (``thread_id``; else as it was written)."""
        thread_id = row["thread_id"] if thread_id is None else thread_id
        conversation = conversation_id_of(thread_id)
        namespace = row["checkpoint_ns"]
        checkpoint = json.loads(row["checkpoint"])
        checkpoint["channel_values"] = self._values(
            conversation, namespace, checkpoint["channel_versions"]
        )
        writes = self.tables.run(
            "pending_writes",
            conversation_id=conversation,
            checkpoint_ns=namespace,
            checkpoint_id=row["checkpoint_id"],
        )
        return CheckpointTuple(
            config=_config(thread_id, namespace, row["checkpoint_id"]),
            checkpoint=checkpoint,
            metadata=row["metadata"],
            parent_config=_config(thread_id, namespace, row["parent_checkpoint_id"])
            if row["parent_checkpoint_id"]
            else None,
            pending_writes=[
                (write["task_id"], write["channel"], self._load(write)) for write in writes
            ],
        )

    def _values(
        self, conversation: str, namespace: str, versions: ChannelVersions
    ) -> dict[str, Any]:
        """The channel values of a checkpoint's ``channel_versions``."""
        found = self.tables.run(
            "channel_values",
            conversation_id=conversation,
            checkpoint_ns=namespace,
            channel_versions=json.dumps({channel: str(v) for channel, v in versions.items()}),
        )
        values: dict[str, Any] = {}
        for stored in found:
            channel = stored["channel"]
            if stored["value_type"] == LIST_VALUE:
                values[channel] = self._list(
                    conversation, namespace, channel, str(versions[channel]), stored["item_count"]
                )
            elif stored["value_type"] != EMPTY_VALUE:
                values[channel] = self._load(stored)
        return values

    def _list(
        self, conversation: str, namespace: str, channel: str, version: str, item_count: int
    ) -> builtins.list[Any]:
        items = self.tables.run(
            "list_items",
            conversation_id=conversation,
            checkpoint_ns=namespace,
            channel=channel,
            version=version,
            with_values=True,
        )
        if len(items) != item_count:
            raise DatabaseError(
                f"channel {channel!r} version {version} of conversation {conversation} holds "
                f"{len(items)} of its {item_count} items: a version it builds on was deleted"
            )
        return [self._load(item) for item in items]

    def _load(self, stored: dict[str, Any]) -> Any:
        return self.serde.loads_typed((stored["value_type"], bytes(stored["value"])))

    # -- writing ------------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint and the values of ``new_versions``; on the root
        graph's newest checkpoint, mirror its messages. One transaction."""
        configurable = config["configurable"]
        thread_id = _thread_id(configurable)
        namespace = configurable.get("checkpoint_ns", "")
        conversation = conversation_id_of(thread_id)
        body = {key: value for key, value in checkpoint.items() if key != "channel_values"}
        written: dict[tuple[str, ...], tuple[bytes, ...]] = {}
        with self.store.transaction():
            owner = self._lock_thread(conversation, config, thread_id)
            parent_id = configurable.get("checkpoint_id")
            newest = self._checkpoint(conversation, namespace, None) if namespace == "" else None
            follows_newest = newest is not None and newest["checkpoint_id"] == parent_id
            if follows_newest or parent_id is None:
                parent = newest if follows_newest else None
            else:
                parent = self._checkpoint(conversation, namespace, parent_id)
            parent_versions = _versions(parent)
            shared = {
                channel: self._put_value(
                    conversation,
                    owner,
                    namespace,
                    channel,
                    str(version),
                    checkpoint["channel_values"],
                    parent_versions.get(channel),
                    written,
                )
                for channel, version in new_versions.items()
            }
            self.tables.run(
                "put_checkpoint",
                conversation_id=conversation,
                user_id=owner,
                thread_id=thread_id,
                checkpoint_ns=namespace,
                checkpoint_id=checkpoint["id"],
                parent_checkpoint_id=parent_id,
                checkpoint=_json(body),
                metadata=_json(get_serializable_checkpoint_metadata(config, metadata)),
            )
            if namespace == "":
                shared_list = shared.get(self.messages_channel)
                # Only a list that adds to the newest one's says what the
                # conversation holds: that one was all messages, so mirrored.
                appended = shared_list is not None and shared_list.unchanged == shared_list.length
                self._mirror(
                    conversation,
                    checkpoint,
                    newest,
                    shared_list if follows_newest and appended else None,
                )
        self._digests.remember(written)  # committed: the versions exist
        return _config(thread_id, namespace, checkpoint["id"])

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes to a checkpoint. A write already stored at
        its index is kept, except LangGraph's special writes (errors,
        interrupts ...), which replace it, as its own savers do."""
        configurable = config["configurable"]
        thread_id = _thread_id(configurable)
        conversation = conversation_id_of(thread_id)
        replace = all(channel in WRITES_IDX_MAP for channel, _ in writes)
        with self.store.transaction():
            owner = self._lock_thread(conversation, config, thread_id)
            for index, (channel, value) in enumerate(writes):
                value_type, value_bytes = self.serde.dumps_typed(value)
                self.tables.run(
                    "put_write",
                    conversation_id=conversation,
                    user_id=owner,
                    checkpoint_ns=configurable.get("checkpoint_ns", ""),
                    checkpoint_id=configurable["checkpoint_id"],
                    task_id=task_id,
                    idx=WRITES_IDX_MAP.get(channel, index),
                    task_path=task_path,
                    channel=channel,
                    value_type=value_type,
                    value=value_bytes,
                    replace=replace,
                )

    def delete_thread(self, thread_id: str) -> None:
        """Delete the thread: its conversation, messages, checkpoints and
        writes (nothing if it does not exist, or belongs to another user
        than the saver's or its view's)."""
        owner = self._owner({})
        store = self.store if owner is None else self.store.for_user(owner)
        store.delete_conversation(conversation_id_of(_thread_id({"thread_id": thread_id})))

    def get_next_version(self, current: str | int | float | None, channel: None) -> str:
        """The version after ``current``: its number plus one (16 digits, so
        versions order as text too), then 48 random bits, so that two branches
        forked from one checkpoint do not give one version two values (as
        LangGraph's PostgreSQL saver does, with longer strings)."""
        number = 0 if current is None else int(str(current).split(".")[0])
        return f"{number + 1:016d}.{secrets.token_hex(6)}"

    def _lock_thread(self, conversation: str, config: RunnableConfig, thread_id: str) -> str:
        """Lock the thread's conversation for the transaction, creating it
        if it does not exist; its owner. A thread whose owner ``config``
        does not name (a config LangGraph returned, say) is its
        conversation's owner's.

        :raises InvalidInput: for a new thread whose owner is not known.
        :raises ConversationExists: if another user owns the conversation.
        :raises DatabaseUnavailable: (retryable) if the conversation was
            deleted each time it was about to be locked.
        """
        owner = self._owner(config)
        for _ in range(ENSURE_ROUNDS):
            if owner is None:
                found = self.store.run("get_conversation", conversation_id=conversation)
                owner = found[0]["user_id"] if found else None
            if owner is None:
                raise InvalidInput(
                    "the thread's owner is not known: give ConvstoreSaver a user_id, use a "
                    'user-scoped store (store.for_user(...)), or pass {"configurable": '
                    '{"user_id": ...}} with the thread_id'
                )
            if self.store.run("lock_conversation", conversation_id=conversation, user_id=owner):
                return owner
            self.store.ensure_conversation(
                conversation, owner, metadata={"langgraph_thread_id": thread_id}
            )
            if self.store.run("lock_conversation", conversation_id=conversation, user_id=owner):
                return owner
        raise DatabaseUnavailable(
            f"conversation {conversation} was deleted each of {ENSURE_ROUNDS} times it was "
            "about to be written; retrying is safe"
        )

    def _checkpoint(
        self, conversation: str, namespace: str, checkpoint_id: str | None
    ) -> dict[str, Any] | None:
        """A stored checkpoint's row (the namespace's newest for
        ``checkpoint_id=None``), or ``None`` if there is none."""
        found = self.tables.run(
            "checkpoint",
            conversation_id=conversation,
            user_id=None,
            checkpoint_ns=namespace,
            checkpoint_id=checkpoint_id,
        )
        return found[0] if found else None

    def _put_value(
        self,
        conversation: str,
        owner: str,
        namespace: str,
        channel: str,
        version: str,
        values: dict[str, Any],
        parent_version: str | None,
        written: dict[tuple[str, ...], tuple[bytes, ...]],
    ) -> MirrorHint | None:
        """Store a channel's value at ``version``; for a list, what it
        shares with ``parent_version`` (see :meth:`_put_list`)."""
        row = {
            "conversation_id": conversation,
            "user_id": owner,
            "checkpoint_ns": namespace,
            "channel": channel,
            "version": version,
        }
        if isinstance(values.get(channel), list):
            return self._put_list(row, values[channel], parent_version, written)
        value_type, value = (
            self.serde.dumps_typed(values[channel]) if channel in values else (EMPTY_VALUE, None)
        )
        self.tables.run(
            "put_value",
            **row,
            value_type=value_type,
            value=value,
            base_version=None,
            kept_items=None,
            item_count=None,
        )
        return None

    def _put_list(
        self,
        row: dict[str, Any],
        items: builtins.list[Any],
        base_version: str | None,
        written: dict[tuple[str, ...], tuple[bytes, ...]],
    ) -> MirrorHint:
        """Store a list as the items it does not share with ``base_version``
        (the parent checkpoint's version of the channel), noting its digests
        in ``written``; the base's length and how many of its first items
        the list keeps."""
        typed = [self.serde.dumps_typed(item) for item in items]
        digests = tuple(_digest(value_type, value) for value_type, value in typed)
        place = tuple(row[key] for key in ("conversation_id", "checkpoint_ns", "channel"))
        written[(*place, row["version"])] = digests
        kept = 0
        base: tuple[bytes, ...] = ()
        if base_version is not None and base_version != row["version"]:
            base = self._digests.get((*place, base_version)) or tuple(
                bytes(item["digest"])
                for item in self.tables.run(
                    "list_items",
                    **{key: row[key] for key in ("conversation_id", "checkpoint_ns", "channel")},
                    version=base_version,
                    with_values=False,
                )
            )
            for stored, digest in zip(base, digests, strict=False):
                if stored != digest:
                    break
                kept += 1
        self.tables.run(
            "put_value",
            **row,
            value_type=LIST_VALUE,
            value=None,
            base_version=base_version if kept else None,
            kept_items=kept,
            item_count=len(items),
        )
        for position in range(kept, len(items)):
            value_type, value = typed[position]
            self.tables.run(
                "put_list_item",
                **row,
                position=position,
                value_type=value_type,
                value=value,
                digest=digests[position],
            )
        return MirrorHint(length=len(base), unchanged=kept)

    def _mirror(
        self,
        conversation: str,
        checkpoint: Checkpoint,
        newest: dict[str, Any] | None,
        hint: MirrorHint | None,
    ) -> None:
        """Mirror the root graph's messages when ``checkpoint`` is its newest
        and its message list is another version than ``newest``'s (the
        newest before it): after a turn, an edit, or a fork. ``hint``: what
        its list shares with ``newest``'s, when it follows that one."""
        channel = self.messages_channel
        if newest is not None and newest["checkpoint_id"] > checkpoint["id"]:
            return
        version = checkpoint["channel_versions"].get(channel)
        if newest is not None and (
            json.loads(newest["checkpoint"])["channel_versions"].get(channel) == version
        ):
            return
        values = checkpoint["channel_values"]
        if version is None or channel not in values:
            return  # no such channel, or its value is not in the checkpoint (a delta channel)
        messages = values[channel]
        if not is_message_list(messages):
            return
        mirror(self.store, conversation, messages, hint)

    # -- owners -------------------------------------------------------------------------

    def _owner(self, config: RunnableConfig) -> str | None:
        """The thread's owner as ``config``, the view and the saver know it, or ``None``."""
        given = (config.get("configurable") or {}).get("user_id") or (
            config.get("metadata") or {}
        ).get("user_id")
        view = self.store.user_id
        if view is not None and given is not None and str(given) != view:
            raise InvalidInput(f"this saver's store is limited to user {view!r}, not {given!r}")
        owner = view or given or self.user_id
        return None if owner is None else str(owner)

    # -- async twins --------------------------------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """:meth:`get_tuple`, in a thread."""
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """:meth:`list`, read in a thread."""
        found = await asyncio.to_thread(
            lambda: list(self.list(config, filter=filter, before=before, limit=limit))
        )
        for checkpoint_tuple in found:
            yield checkpoint_tuple

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """:meth:`put`, in a thread."""
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """:meth:`put_writes`, in a thread."""
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        """:meth:`delete_thread`, in a thread."""
        await asyncio.to_thread(self.delete_thread, thread_id)


class _DigestCache:
    """The item digests of the lists this saver wrote last, so that the next
    turn compares its list with its parent's without reading the parent's
    items back. Only versions of :meth:`ConvstoreSaver.get_next_version`'s
    form are kept: their 48 random bits make a version name one value for
    good (a thread deleted and begun again gets new ones), where versions
    given by hand, such as ``1``, come back after a deletion with other values."""

    def __init__(self) -> None:
        self._lists: OrderedDict[tuple[str, ...], tuple[bytes, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> tuple[bytes, ...] | None:
        with self._lock:
            found = self._lists.get(key)
            if found is not None:
                self._lists.move_to_end(key)
            return found

    def remember(self, written: dict[tuple[str, ...], tuple[bytes, ...]]) -> None:
        with self._lock:
            for key, digests in written.items():
                if OWN_VERSION.fullmatch(key[-1]):
                    self._lists[key] = digests
                    self._lists.move_to_end(key)
            while len(self._lists) > DIGEST_CACHE_LISTS:
                self._lists.popitem(last=False)


def _config(thread_id: str, namespace: str, checkpoint_id: str) -> RunnableConfig:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": namespace,
            "checkpoint_id": checkpoint_id,
        }
    }


def _versions(row: dict[str, Any] | None) -> dict[str, str]:
    """The channel versions of a checkpoint's row, as text (``{}`` for none)."""
    if row is None:
        return {}
    versions = json.loads(row["checkpoint"])["channel_versions"]
    return {channel: str(version) for channel, version in versions.items()}


def _thread_id(configurable: Mapping[str, Any]) -> str:
    """The thread id of a config, as text.

    :raises InvalidInput: for one with a NUL character (PostgreSQL's text cannot hold it).
    """
    thread_id = str(configurable["thread_id"])
    if "\x00" in thread_id:
        raise InvalidInput(f"thread_id {thread_id!r} holds a NUL character, which no thread id may")
    return thread_id


def _json(value: Any) -> str:
    """``value`` as JSON text both databases store: text PostgreSQL cannot
    hold (NUL, a lone surrogate) made U+FFFD in keys and strings alike, and
    a float that JSON has not (infinite, NaN) its name as a string."""
    return json.dumps(_storable(value), allow_nan=False)


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return {clean(str(key)): _storable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable(item) for item in value]
    return value


def _digest(value_type: str, value: bytes) -> bytes:
    return hashlib.sha256(value_type.encode() + b"\x00" + value).digest()[:DIGEST_BYTES]
