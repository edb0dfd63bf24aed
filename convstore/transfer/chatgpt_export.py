"""A reader of the ChatGPT data export: ``conversations.json`` (a JSON array of
conversations), or the export's ``.zip`` holding it (or, in newer exports,
``conversations-000.json`` ...), streamed with ijson, so that memory holds
one conversation at a time however large the file (and however deep:
:mod:`convstore.transfer.json_scan` sees the bytes before ijson). It
yields each conversation as :meth:`convstore.Store.import_conversation` takes
it (:class:`~convstore.transfer.sources.SourceConversation`), or why it cannot
(:class:`~convstore.transfer.sources.SourceProblem`).

A ChatGPT conversation is a tree: ``mapping`` holds its nodes by id, each
``{"id", "message", "parent", "children"}``; an edited or regenerated message
is a second child of the node before it, and ``current_node`` is the node the
client shows. In convstore it is a tree of conversations:

- **The root** holds the path from the tree's root that follows the *first*
  child at every node. Each other child starts a **branch**: its parent is the
  convstore conversation holding the node it forks from, its ``fork_seq`` that
  node's seq, and it holds only its own messages (``fork_seq + 1`` ...),
  following first children again; branches of branches likewise. The root
  comes first, then the branches, each after its parent (the store refuses a
  branch before its parent, and messages added where branches share
  history). A branch that would hold no message (its nodes have none) is
  left out; what forks from it forks from its parent.
- **Ids.** The root keeps the ChatGPT conversation's ``id`` (or
  ``conversation_id``): a UUID, or a name convstore turns into one
  (:func:`convstore.validation.conversation_id`). A branch's id is
  ``uuid.uuid5(<root id>, <node id of its first node>)``, so importing the
  export again stores nothing twice.
- **Seqs** are 1, 2, 3 ... along a path, without gaps: nodes without a message
  (the tree's root, ``client-created-root``) take none.
- **Times** are seconds since 1970 (floats), read as UTC ``datetime`` with
  microseconds. A message's null ``create_time`` takes the time of the message
  before it (or the conversation's); a conversation's null ``create_time``
  the earliest of its messages' (or its ``update_time``), a null
  ``update_time`` its newest message's (or its ``create_time``).

Where each field of the export goes (``M`` is a stored message, ``C`` the
root conversation; each branch has the root's ``title`` and ``extra``, as a
fork has its parent's)::

    conversation                         stored as
    id (or conversation_id)              C.id (branches: uuid5 of it, see above)
    title                                C.title
    create_time, update_time             C.created_at, C.updated_at
    current_node                         the conversation holding that node:
                                         SourceConversation.active_branch_id
    mapping                              the messages below; its nodes without
                                         a message, as given, in
                                         C.extra["mapping"]
    every other field (conversation_id,  C.extra[<field>], as given
    default_model_slug, gizmo_id,
    is_archived, moderation_results,
    plugin_ids, safe_urls, ...)

    node                                 stored as
    id, parent, children                 M.extra["chatgpt"]["node"] (the node
                                         but its message)
    message                              one message M (below)

    message                  a chat message (kind "message")  an item of another kind
    author.role              M.role                           M.role ("tool" if convstore
                                                              has no such role)
    content.parts            M.content                        M.content: its text
    create_time              M.created_at (and as given:      M.created_at
                             below)
    the message, but         M.extra["chatgpt"]["message"]    M.payload: the whole
    content.parts: id,                                        message, as given
    author, create_time,
    update_time, content's
    other fields, status,
    end_turn, weight,
    metadata, recipient,
    channel ...

A message is a **chat message** (``kind`` ``"message"``) when its role is
``system``, ``user`` or ``assistant``, its ``content_type`` is ``text`` or
``multimodal_text``, it is not hidden (``metadata``
``is_visually_hidden_from_conversation``), and each of its parts is text or
an object whose ``content_type`` is not a part type convstore reads itself
(``text``, ``refusal``, ``image_url``, ``input_audio``, ``file``) and that
has no ``type``. Its content is the text of a single text part, else a list
of parts: ``{"type": "text", "text": ...}`` for a text part, ``{"type": <its
content_type>, <its other fields>}`` for an object (``image_asset_pointer``,
``audio_transcription``, ``audio_asset_pointer`` ...: convstore keeps parts
of types it does not know as given). The way back is unambiguous, so the
message object as exported is ``M.extra["chatgpt"]["message"]`` with its
``content.parts`` made again from ``M.content``.

Every other message is an **item** (README, "Items that are not chat
messages") whose ``payload`` is the message as exported and whose content is
its readable text (so that search finds code, quotes and thoughts), or
``None``. Its kind is ``"chatgpt.custom_instructions"`` for custom
instructions (``content_type`` ``user_editable_context``: the user profile
and instructions), else ``"chatgpt.hidden"`` for a hidden message (the system
prompt), else ``"chatgpt.<content_type>"``: ``chatgpt.code``,
``chatgpt.execution_output``, ``chatgpt.tether_quote``,
``chatgpt.tether_browsing_display``, ``chatgpt.thoughts``,
``chatgpt.reasoning_recap``, ``chatgpt.system_error``, and
``chatgpt.text`` / ``chatgpt.multimodal_text`` for what a ``tool`` wrote (a
content type that is no kind name gives ``"chatgpt.other"``). The agent
never sends items; the token budget counts them (by convstore's estimate).

No ``user_id`` is given: the import supplies the user.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shutil
import tempfile
import uuid
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import IO, Any, NamedTuple

import ijson

from .. import validation
from ..errors import ConfigurationError, InvalidInput
from ..validation import DEFAULT_LIMITS, Limits
from .json_scan import JsonScan
from .lines import GZIP_MAGIC, binary_stream, json_kind
from .sources import SourceConversation, SourceProblem

CHUNK_SIZE = 64 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
"""How a zip archive starts (one with files, an empty one)."""
BYTE_ORDER_MARK = b"\xef\xbb\xbf"
JSON_SPACE = b" \t\r\n"

CONVERSATIONS_FILE = "conversations.json"
SHARD_FILE = re.compile(r"conversations-(\d+)\.json")
"""Newer exports split the conversations over ``conversations-000.json``,
``conversations-001.json`` ... (with no ``conversations.json``)."""

STORED_APART = ("id", "title", "create_time", "update_time", "mapping", "current_node")
"""The conversation's fields that have a place of their own; the others are
kept as given in its ``extra``."""

CHAT_ROLES = ("system", "user", "assistant")
CHAT_CONTENT_TYPES = ("text", "multimodal_text")
OPENAI_PART_TYPES = ("text", *validation.PART_TEXT, *validation.PART_OBJECT)
"""Part types convstore reads itself: a ChatGPT part of such a type could not
be told from the part convstore makes of it, so its message is an item."""

READABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("text",),
    "execution_output": ("text",),
    "tether_quote": ("title", "url", "text"),
    "tether_browsing_display": ("summary", "result"),
    "thoughts": ("thoughts",),
    "reasoning_recap": ("content",),
    "system_error": ("name", "text"),
    "user_editable_context": ("user_profile", "user_instructions"),
    "model_editable_context": ("model_set_context",),
}
"""Where the readable text of an item's content is, by content type; other
types (text, multimodal_text, types to come) read :data:`READABLE_DEFAULT`."""
READABLE_DEFAULT = ("parts", "text", "result", "content")
TEXT_KEYS = ("summary", "content", "text")
"""The text of an object in a readable field (a thought, a transcribed part)."""


def read_chatgpt_export(
    source: IO[bytes], *, limits: Limits = DEFAULT_LIMITS
) -> Iterator[SourceConversation | SourceProblem]:
    """The conversations of a ChatGPT export, read from the binary stream
    ``source`` as the iterator is advanced: ``conversations.json``, or the
    export's zip archive (its ``conversations.json`` at any depth, or else its
    ``conversations-NNN.json`` files in order). Each ChatGPT conversation gives
    its root, then its branches, parents first (module docstring); one that
    cannot be read gives a :class:`SourceProblem` instead, and the reading
    goes on. A compressed stream must be given decompressed
    (``gzip.open(path)``); a zip that is not seekable (a pipe) is copied to a
    temporary file first.

    ``where`` is ``conversations[<index>]`` (``conversations-001.json[<index>]``
    in a split export), with the conversation's id and title when it has them;
    a message's place is ``mapping["<node id>"]``.

    Memory holds one conversation, however it is nested: a conversation
    nested deeper than ``limits.max_json_depth`` below the export's own
    levels (71 in all by default), whose keys on the way to a nested value
    hold more than 64 KiB, or that holds an escaped lone surrogate
    (``"\\ud800"``) is a :class:`SourceProblem`, naming the byte, before
    ijson builds it (:mod:`convstore.transfer.json_scan`). ``limits`` are
    the store's, as :func:`convstore.connect` takes them.

    :raises InvalidInput: when the input is not a JSON array of objects, is
        not valid JSON or UTF-8 (naming the byte, counted from 1, where the
        parser stopped), or is a zip without ``conversations.json`` or a
        damaged one; the conversations before the fault have been yielded.
    :raises ConfigurationError: when ``limits`` is not a :class:`~convstore.Limits`.
    """
    source = binary_stream(source)
    if not isinstance(limits, Limits):
        raise ConfigurationError(
            f"limits must be a convstore.Limits, not {validation.show(limits)}"
        )
    seekable = source.seekable()
    start = source.tell() if seekable else 0
    head = _read_at_least(source, 4)
    if not head.startswith(ZIP_MAGIC):
        stream = _Counted(source, JsonScan(limits), head)
        yield from _read_json(stream, "the input", "conversations")
        return
    if seekable:
        source.seek(start)
        yield from _read_zip(source, limits)
        return
    with tempfile.TemporaryFile() as copy:
        copy.write(head)
        shutil.copyfileobj(source, copy, CHUNK_SIZE)
        copy.seek(0)
        yield from _read_zip(copy, limits)


def _read_at_least(source: IO[bytes], size: int) -> bytes:
    """The first ``size`` bytes of ``source`` (fewer at its end)."""
    head = b""
    while len(head) < size:
        chunk = source.read(size - len(head))
        if not chunk:
            break
        head += chunk
    return head


def _read_zip(archive: IO[bytes], limits: Limits) -> Iterator[SourceConversation | SourceProblem]:
    try:
        export = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as error:
        raise InvalidInput(f"the input starts as a zip archive but is not one ({error})") from None
    with export:
        for member, label in _conversation_files(export.namelist()):
            try:
                with export.open(member) as stream:
                    yield from _read_json(_Counted(stream, JsonScan(limits)), member, label)
            except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                raise InvalidInput(f"{member} in the zip archive is damaged ({error})") from None
            except (RuntimeError, NotImplementedError) as error:  # encrypted; Deflate64 ...
                raise InvalidInput(
                    f"{member} in the zip archive cannot be read ({error})"
                ) from None


def _conversation_files(names: list[str]) -> list[tuple[str, str]]:
    """The members of an export's zip that hold its conversations, each with
    the label its ``where`` starts with."""
    whole = [name for name in names if posixpath.basename(name) == CONVERSATIONS_FILE]
    if len(whole) > 1:
        raise InvalidInput(
            f"the zip archive holds {len(whole)} files named {CONVERSATIONS_FILE} "
            f"({', '.join(whole)}); give the one to import"
        )
    if whole:
        return [(whole[0], "conversations")]
    shards = sorted(
        (int(found.group(1)), name)
        for name in names
        if (found := SHARD_FILE.fullmatch(posixpath.basename(name)))
    )
    if not shards:
        raise InvalidInput(
            f"the zip archive holds no {CONVERSATIONS_FILE} (nor conversations-000.json ...): "
            "is it a ChatGPT data export?"
        )
    return [(name, posixpath.basename(name)) for _, name in shards]


class _Counted:
    """A binary stream as ijson reads it, scanned on the way (``scan``),
    counting the bytes it hands on and keeping the last chunk, so that an
    error can say where it is; ``pending`` is what was read from ``source``
    already and comes first."""

    def __init__(self, source: IO[bytes], scan: JsonScan, pending: bytes = b"") -> None:
        self.source = source
        self.scan = scan
        self.pending = pending
        self.position = 0
        """How many bytes were handed on (or skipped)."""
        self.chunk = b""
        """The last chunk handed on, which starts at byte ``chunk_start`` (from 0)."""
        self.chunk_start = 0

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks whether the stream is binary
            return b""
        data, self.pending, wanted = self.pending, b"", size
        while True:
            at_end = False
            if size < 0 or len(data) < wanted:
                more = self.source.read(wanted - len(data) if size > 0 else -1)
                data, at_end = data + more, not more
            chunk, self.pending = self.scan.scan(data, self.position, at_end)
            if chunk or at_end:
                break
            wanted = len(data) + CHUNK_SIZE  # all of it is an escape cut short: read on
        self.chunk, self.chunk_start = chunk, self.position
        self.position += len(chunk)
        return chunk

    def first_byte(self) -> bytes:
        """The first byte that is not a byte order mark or white space (``b""``
        at the end), left to be read."""
        while True:
            chunk = self.pending or self.source.read(CHUNK_SIZE)
            if not chunk:
                return b""
            if self.position == 0 and chunk.startswith(BYTE_ORDER_MARK):
                chunk, self.position = chunk[len(BYTE_ORDER_MARK) :], len(BYTE_ORDER_MARK)
            self.pending = chunk.lstrip(JSON_SPACE)
            self.position += len(chunk) - len(self.pending)
            if self.pending:
                return self.pending[:1]


def _read_json(
    stream: _Counted, name: str, label: str
) -> Iterator[SourceConversation | SourceProblem]:
    """The conversations of one JSON array of them, ``name`` in errors,
    ``label`` in each ``where``."""
    first = stream.first_byte()
    if first != b"[":
        raise InvalidInput(f"{name} must be a JSON array of conversations; {_opening(first)}")
    for index, conversation in enumerate(_array_items(stream, name)):
        place = f"{label}[{index}]"
        if not isinstance(conversation, dict):
            raise InvalidInput(
                f"{name}: {place} is {json_kind(conversation)}, not a JSON object; "
                "it must be a JSON array of conversations"
            )
        where = _where(place, conversation)
        refused = stream.scan.problems.pop(index, None)
        if refused is not None:
            yield SourceProblem(where, refused)
            continue
        try:
            tree = _conversation_tree(conversation, where)
        except InvalidInput as error:
            yield SourceProblem(where, str(error))
            continue
        yield from tree


def _opening(first: bytes) -> str:
    """What the input is, by its first significant byte, when not an array."""
    if not first:
        return "it is empty"
    if first == GZIP_MAGIC[:1]:
        return "it looks gzip-compressed: decompress it first (gzip.open(path))"
    if first == b"{":
        return (
            "it is a JSON object (read as a ChatGPT export; JSON Lines are read as "
            "such when the name ends in .jsonl, or with --format openai or convstore)"
        )
    return f"it starts with {first!r}"


def _array_items(stream: _Counted, name: str) -> Iterator[Any]:
    """The items of the JSON array ``stream`` holds, parsed one at a time."""
    items = ijson.items(stream, "item", use_float=True)
    while True:
        try:
            item = next(items)
        except StopIteration:
            return
        except ijson.JSONError as error:
            raise InvalidInput(f"{name} is not valid JSON: {_parse_error(error, stream)}") from None
        except UnicodeDecodeError as error:  # bytes yajl lets by: a surrogate, an overlong form
            raise InvalidInput(
                f"{name} is not UTF-8 text ({error.reason}) near byte {stream.position:,}; "
                "a ChatGPT export is UTF-8"
            ) from None
        yield item


def _parse_error(error: Exception, stream: _Counted) -> str:
    """ijson's complaint in one line, with the byte (from 1) where the parser
    stopped (the last it read) and the text around it."""
    reason = str(error)
    if reason[:2] in ("b'", 'b"'):  # the C backend's text of input that is not UTF-8
        reason = ast.literal_eval(reason).decode("utf-8", "replace")
    lines = reason.split("\n")
    what = lines[0].rstrip(".")
    if "premature EOF" in what or "Incomplete" in what:
        return f"it ends at byte {stream.position:,}, inside a value: is it cut short?"
    context = lines[1] if len(lines) > 1 else ""
    offset = _error_offset(stream.chunk, context)
    if offset is None:
        where = f"between bytes {stream.chunk_start + 1:,} and {stream.position:,}"
    else:  # yajl stops after the byte it could not take
        where = f"at byte {stream.chunk_start + max(offset, 1):,}"
    near = f" (near {context.strip()!r})" if context.strip() else ""
    return f"{what} {where}{near}"


def _error_offset(chunk: bytes, context: str) -> int | None:
    """How many bytes of ``chunk`` yajl, ijson's C parser, took before it
    stopped (the offset), read from the line of context its error shows: the
    chunk's bytes from 30 before to 30 after the offset, line breaks as
    spaces, after spaces that put the offset at column 40 (10 spaces when it
    is at least 30). ``None`` when no offset renders that line."""
    shown = context.encode("utf-8", "replace")
    flat = chunk.replace(b"\n", b" ").replace(b"\r", b" ")
    for offset in range(min(30, len(flat) + 1)):
        if shown == b" " * (40 - offset) + flat[: offset + 30]:
            return offset
    text = shown[10:]
    found = flat.find(text) if text else -1
    while found != -1:
        if len(text) == 60 or found + len(text) == len(flat):
            return found + 30
        found = flat.find(text, found + 1)
    return None


def _where(place: str, conversation: Mapping[str, Any]) -> str:
    """``place`` with the conversation's id and title, when it has them."""
    known = []
    given_id = _given_id(conversation)
    if isinstance(given_id, str):
        known.append(f"id {given_id}")
    title = conversation.get("title")
    if isinstance(title, str):
        known.append(f'title "{title[:40]}…"' if len(title) > 40 else f'title "{title}"')
    return f"{place} ({', '.join(known)})" if known else place


def _given_id(conversation: Mapping[str, Any]) -> Any:
    given = conversation.get("id")
    return conversation.get("conversation_id") if given is None else given


# -- one conversation -------------------------------------------------------------------


class _Tree(NamedTuple):
    """The shape of a checked mapping."""

    root: str | None
    """The node without a parent; ``None`` for an empty mapping."""
    children: dict[str, list[str]]
    """Each node's children, in order."""


class _Path(NamedTuple):
    """A convstore conversation of the tree, as the walk finds it."""

    conversation_id: str
    start: str | None
    """The node it starts from (``None`` for the root of an empty mapping)."""
    parent_id: str | None
    fork_seq: int | None
    messages: list[tuple[str, int, datetime]]
    """``(node id, seq, created_at)`` of each of its own messages."""


class _Fork(NamedTuple):
    """A child that starts a branch, to walk."""

    node_id: str
    parent_id: str
    fork_seq: int
    before: datetime
    """The time of the message before it."""


def _conversation_tree(conversation: Mapping[str, Any], where: str) -> list[SourceConversation]:
    """The root and branches of one ChatGPT conversation (module docstring).

    :raises InvalidInput: naming what cannot be read.
    """
    root_id = _conversation_id(conversation)
    title = conversation.get("title")
    if title is not None and not isinstance(title, str):
        raise InvalidInput(f"title must be text or null, got {validation.show(title)}")
    mapping = conversation.get("mapping")
    if not isinstance(mapping, dict):
        raise InvalidInput(f"mapping must be an object of nodes, got {validation.show(mapping)}")
    shape = _tree(mapping)
    times = {
        node_id: _moment(f'mapping["{node_id}"].message.create_time', message.get("create_time"))
        for node_id, message in _messages(mapping)
    }
    created_at, updated_at = _conversation_times(conversation, times)
    paths, holders = _walk(mapping, shape, uuid.UUID(root_id), created_at, times)
    shared = {"title": title, "extra": _other_fields(conversation, mapping)}
    root = {"id": root_id, **shared, "created_at": created_at, "updated_at": updated_at}
    active_branch_id = _active_branch(conversation.get("current_node"), holders, root_id)
    root_messages = _path_messages(mapping, paths[0])
    return [
        SourceConversation(where, root, root_messages, active_branch_id),
        *(_branch(where, shared, mapping, path) for path in paths[1:]),
    ]


def _other_fields(conversation: Mapping[str, Any], mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The conversation's fields but those stored apart, and its mapping's
    nodes without a message (which no message keeps) as its ``"mapping"``."""
    other = {key: value for key, value in conversation.items() if key not in STORED_APART}
    without_message = {
        node_id: node for node_id, node in mapping.items() if node.get("message") is None
    }
    if without_message:
        other["mapping"] = without_message
    return other


def _branch(
    where: str, shared: Mapping[str, Any], mapping: Mapping[str, Any], path: _Path
) -> SourceConversation:
    """A branch of the tree, with the root's ``shared`` title and extra:
    created with its first message, updated with its newest."""
    own_times = [moment for _, _, moment in path.messages]
    branch = {
        "id": path.conversation_id,
        **shared,
        "parent_id": path.parent_id,
        "fork_seq": path.fork_seq,
        "created_at": own_times[0],
        "updated_at": max(own_times),
    }
    branch_where = f'{where}, branch from mapping["{path.start}"]'
    messages = _path_messages(mapping, path)
    return SourceConversation(branch_where, branch, messages, part_of=where)


def _conversation_id(conversation: Mapping[str, Any]) -> str:
    """The root's id: the export's ``id`` or ``conversation_id``, as convstore reads it."""
    given = _given_id(conversation)
    if given is None:
        raise InvalidInput("it has no id (neither id nor conversation_id)")
    try:
        return validation.conversation_id(given)
    except InvalidInput as error:
        raise InvalidInput(str(error).replace("conversation_id", "id", 1)) from None


def _tree(mapping: Mapping[str, Any]) -> _Tree:
    """The shape of ``mapping``, once checked to be one tree: nodes
    that are objects, each parent in the mapping and listing the node among
    its children (once), one root, no cycle.

    :raises InvalidInput: naming the first node that breaks it.
    """
    parents: dict[str, str | None] = {}
    children: dict[str, list[str]] = {}
    for node_id, node in mapping.items():
        parents[node_id], children[node_id] = _node_links(node_id, node)
    for node_id, parent in parents.items():
        if parent is not None and parent not in mapping:
            raise InvalidInput(
                f"mapping node {node_id} has parent {parent}, which is not in the mapping"
            )
    for node_id, kids in children.items():
        if len(set(kids)) != len(kids):
            raise InvalidInput(f"mapping node {node_id} lists a child twice")
        for kid in kids:
            if kid not in mapping:
                raise InvalidInput(
                    f"mapping node {node_id} lists child {kid}, which is not in the mapping"
                )
            if parents[kid] != node_id:
                raise InvalidInput(
                    f"mapping node {kid} is a child of {node_id}, but its parent is {parents[kid]}"
                )
    listed = {kid for kids in children.values() for kid in kids}
    for node_id, parent in parents.items():
        if parent is not None and node_id not in listed:
            raise InvalidInput(
                f"mapping node {node_id} has parent {parent}, which does not list it as a child"
            )
    return _Tree(_one_root(parents, children), children)


def _node_links(node_id: str, node: Any) -> tuple[str | None, list[str]]:
    """A node's parent and children, checked."""
    path = f'mapping["{node_id}"]'
    if not isinstance(node, dict):
        raise InvalidInput(f"{path} must be an object, got {validation.show(node)}")
    parent = node.get("parent")
    kids = node.get("children", [])
    message = node.get("message")
    if parent is not None and not isinstance(parent, str):
        raise InvalidInput(
            f"{path}.parent must be a node id or null, got {validation.show(parent)}"
        )
    if not isinstance(kids, list) or not all(isinstance(kid, str) for kid in kids):
        raise InvalidInput(
            f"{path}.children must be a list of node ids, got {validation.show(kids)}"
        )
    if message is not None and not isinstance(message, dict):
        raise InvalidInput(
            f"{path}.message must be an object or null, got {validation.show(message)}"
        )
    return parent, kids


def _one_root(parents: Mapping[str, str | None], children: Mapping[str, list[str]]) -> str | None:
    """The root of a consistent mapping, which must have one if it has any
    node, from which every node is reached (else parents form a cycle)."""
    if not parents:
        return None
    roots = [node_id for node_id, parent in parents.items() if parent is None]
    if not roots:
        raise InvalidInput(
            "mapping has no root (a node whose parent is null): its parents form a cycle"
        )
    if len(roots) > 1:
        raise InvalidInput(
            f"mapping has {len(roots)} roots (nodes whose parent is null): {', '.join(roots)}"
        )
    reached, waiting = 0, [roots[0]]
    while waiting:
        reached += 1
        waiting.extend(children[waiting.pop()])
    if reached < len(parents):
        raise InvalidInput(
            f"mapping has {len(parents) - reached} nodes its root {roots[0]} does not reach: "
            "their parents form a cycle"
        )
    return roots[0]


def _messages(mapping: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The nodes that hold a message, with it."""
    for node_id, node in mapping.items():
        if node.get("message") is not None:
            yield node_id, node["message"]


def _moment(field: str, seconds: Any) -> datetime | None:
    """A time of the export (seconds since 1970, UTC), or ``None`` for null.

    :raises InvalidInput: for another value, or one out of the range both databases store.
    """
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise InvalidInput(
            f"{field} must be seconds since 1970 or null, got {validation.show(seconds)}"
        )
    try:
        moment = datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        moment = None
    if moment is None or not validation.EARLIEST <= moment <= validation.LATEST:
        raise InvalidInput(f"{field} {seconds!r} is not a time between the years 1 and 9999")
    return moment


def _conversation_times(
    conversation: Mapping[str, Any], times: Mapping[str, datetime | None]
) -> tuple[datetime, datetime]:
    """The root's ``created_at`` and ``updated_at`` (module docstring)."""
    created = _moment("create_time", conversation.get("create_time"))
    updated = _moment("update_time", conversation.get("update_time"))
    known = [moment for moment in times.values() if moment is not None]
    created_at = created or (min(known) if known else updated)
    if created_at is None:
        raise InvalidInput("create_time and update_time are null and no message has a time")
    return created_at, updated or max([created_at, *known])


def _walk(
    mapping: Mapping[str, Any],
    shape: _Tree,
    root_uuid: uuid.UUID,
    created_at: datetime,
    times: Mapping[str, datetime | None],
) -> tuple[list[_Path], dict[str, str]]:
    """The tree's convstore conversations, the root first, then each branch
    after its parent; and which of them holds each node. Loops, not
    recursion: a conversation may be thousands of messages deep."""
    root_id = str(root_uuid)
    if shape.root is None:
        return [_Path(root_id, None, None, None, [])], {}
    paths: list[_Path] = []
    holders: dict[str, str] = {}
    waiting = deque([_Fork(shape.root, root_id, 0, created_at)])
    while waiting:
        fork = waiting.popleft()
        if not paths:
            conversation_id = root_id
            nodes, messages, forks = _follow(fork, conversation_id, mapping, shape, times)
            paths.append(_Path(conversation_id, fork.node_id, None, None, messages))
        else:
            conversation_id = str(uuid.uuid5(root_uuid, fork.node_id))
            nodes, messages, forks = _follow(fork, conversation_id, mapping, shape, times)
            if messages:
                paths.append(
                    _Path(conversation_id, fork.node_id, fork.parent_id, fork.fork_seq, messages)
                )
            else:  # nothing to store: what forks from it forks from its parent
                conversation_id = fork.parent_id
                forks = [child._replace(parent_id=conversation_id) for child in forks]
        holders.update(dict.fromkeys(nodes, conversation_id))
        waiting.extend(forks)
    return paths, holders


def _follow(
    fork: _Fork,
    conversation_id: str,
    mapping: Mapping[str, Any],
    shape: _Tree,
    times: Mapping[str, datetime | None],
) -> tuple[list[str], list[tuple[str, int, datetime]], list[_Fork]]:
    """The path from ``fork`` along first children: its nodes, its messages
    (``(node id, seq, created_at)``) and the other children on the way, which
    fork from ``conversation_id``."""
    nodes: list[str] = []
    messages: list[tuple[str, int, datetime]] = []
    forks: list[_Fork] = []
    seq, moment = fork.fork_seq, fork.before
    node_id: str | None = fork.node_id
    while node_id is not None:
        nodes.append(node_id)
        if mapping[node_id].get("message") is not None:
            seq += 1
            moment = times[node_id] or moment
            messages.append((node_id, seq, moment))
        kids = shape.children[node_id]
        forks += [_Fork(kid, conversation_id, seq, moment) for kid in kids[1:]]
        node_id = kids[0] if kids else None
    return nodes, messages, forks


def _active_branch(current_node: Any, holders: Mapping[str, str], root_id: str) -> str | None:
    """The conversation holding ``current_node``; ``None`` for the root (or no current node)."""
    if current_node is None:
        return None
    if current_node not in holders:
        raise InvalidInput(f"current_node {validation.show(current_node)} is not in the mapping")
    active = holders[current_node]
    return None if active == root_id else active


def _path_messages(mapping: Mapping[str, Any], path: _Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f'mapping["{node_id}"]', _imported_message(node_id, mapping[node_id], seq, moment))
        for node_id, seq, moment in path.messages
    ]


# -- one message ------------------------------------------------------------------------


def _imported_message(
    node_id: str, node: Mapping[str, Any], seq: int, created_at: datetime
) -> dict[str, Any]:
    """The :class:`~convstore.types.ImportedMessage` of a node's message: a
    chat message, or an item of another kind (module docstring).

    :raises InvalidInput: for a message without ``author.role`` or ``content.content_type``.
    """
    message = node["message"]
    path = f'mapping["{node_id}"].message'
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    if not isinstance(role, str):
        raise InvalidInput(f"{path}.author.role must be text, got {validation.show(role)}")
    content = message.get("content")
    if not isinstance(content, dict) or not isinstance(content.get("content_type"), str):
        raise InvalidInput(f"{path}.content must be an object with a content_type (text)")
    node_fields = {key: value for key, value in node.items() if key != "message"}
    chat_content = _chat_content(role, message, content)
    if chat_content is not None:
        without_parts = {key: value for key, value in content.items() if key != "parts"}
        kept = {"message": {**message, "content": without_parts}, "node": node_fields}
        return {
            "seq": seq,
            "created_at": created_at,
            "role": role,
            "content": chat_content,
            "extra": {"chatgpt": kept},
        }
    return {
        "seq": seq,
        "created_at": created_at,
        "role": role if role in validation.ROLES else "tool",
        "kind": _item_kind(message, content["content_type"]),
        "content": _readable_text(content),
        "payload": message,
        "extra": {"chatgpt": {"node": node_fields}},
    }


def _chat_content(role: str, message: Mapping[str, Any], content: Mapping[str, Any]) -> Any:
    """The content of a message that is a chat message, as convstore keeps
    it; ``None`` for a message that is an item."""
    if (
        role not in CHAT_ROLES
        or content["content_type"] not in CHAT_CONTENT_TYPES
        or _is_hidden(message)
        or not isinstance(content.get("parts"), list)
    ):
        return None
    parts = content["parts"]
    if len(parts) == 1 and isinstance(parts[0], str):
        return parts[0]
    converted = [_chat_part(part) for part in parts]
    return None if any(part is None for part in converted) else converted


def _chat_part(part: Any) -> dict[str, Any] | None:
    """A ChatGPT part as a part of convstore's content, or ``None`` when it
    could not be told apart from another on the way back."""
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, dict) or "type" in part:
        return None
    kind = part.get("content_type")
    if not isinstance(kind, str) or not kind or kind in OPENAI_PART_TYPES:
        return None
    return {"type": kind, **{key: value for key, value in part.items() if key != "content_type"}}


def _is_hidden(message: Mapping[str, Any]) -> bool:
    metadata = message.get("metadata")
    return (
        isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation") is True
    )


def _item_kind(message: Mapping[str, Any], content_type: str) -> str:
    if content_type == "user_editable_context":
        return "chatgpt.custom_instructions"
    if _is_hidden(message):
        return "chatgpt.hidden"
    kind = f"chatgpt.{content_type}"
    return kind if validation.KIND_PATTERN.fullmatch(kind) else "chatgpt.other"


def _readable_text(content: Mapping[str, Any]) -> str | None:
    """The text a person reads in an item's content, one piece a line; ``None`` if none."""
    texts: list[str] = []
    for field in READABLE_FIELDS.get(content["content_type"], READABLE_DEFAULT):
        value = content.get(field)
        for piece in value if isinstance(value, list) else [value]:
            if isinstance(piece, dict):
                texts += [piece[key] for key in TEXT_KEYS if isinstance(piece.get(key), str)]
            elif isinstance(piece, str):
                texts.append(piece)
    readable = [text for text in texts if text.strip()]
    return "\n".join(readable) if readable else None
