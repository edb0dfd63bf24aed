"""Reading ``logs.db``, the SQLite database that simonw/llm's ``llm`` command
logs every prompt and response to (``llm logs path`` prints where), as
conversations to import (:mod:`convstore.transfer.importing`).

The tables and columns are those of llm's documentation ("Logging to SQLite":
"The message store" and "SQL schema"; llm/migrations.py creates them). A
``logs.db`` holds two generations of tables, and both are read:

- the **legacy tables**: ``responses`` and the rows that hang off a response,
  which llm 0.5 to 0.31 log to. Older files lack later tables and columns
  (attachments come with llm 0.17, token counts 0.19, schemas 0.23,
  fragments 0.24, tools 0.26, ``resolved_model`` 0.27): what the file has is
  read, the rest is absent from the messages. Only a file without the tables
  ``conversations`` and ``responses`` and their columns of llm 0.5 is refused.
- the **message store**: ``threads``, ``turns``, ``messages``, ``parts`` and
  the tables beside them, which llm 0.32 and later log to instead (migration
  ``m023_message_store``, with ``m024`` to ``m027``; the legacy tables stay,
  as read-only history). A file with a ``threads`` table must have those of
  :data:`STORE`.

The file is opened read-only and read as a stream (:func:`read_llm_logs`):
each legacy table once, in the order of conversations, and the message store
thread by thread; one conversation is held in memory at a time.

Conversations of the legacy tables
----------------------------------

Each llm conversation is one conversation, each response (one model call) in
it adds these messages, in this order, all written at the response's
``datetime_utc``:

1. a ``tool`` message for each tool result its prompt sent back
   (``tool_results``). They come first because a tool message must directly
   follow the assistant message whose call it answers (the Chat Completions
   API reference, ``messages``), the previous response's.
2. a ``system`` message when the system prompt changes: the first response's
   system prompt, and a later one's when it is not empty and differs from
   the one in effect -- the rule of llm's own OpenAI plugin, which sends a
   conversation's history that way (``build_messages`` in
   llm/default_plugins/openai_models.py). A response whose system prompt is
   empty or the one in effect adds none, so those two are not told apart.
3. a ``user`` message with the prompt, when there is one (llm sends none for
   an empty prompt): its text, or, with fragments or attachments, a list of
   parts -- a text part for each fragment, one for the prompt, then one for
   each attachment (:func:`_attachment_part`). Its text is llm's
   ``Prompt.prompt``: the fragments and the prompt joined by line breaks.
4. an ``assistant`` message with the response: its text, its tool calls.

Where each column goes (``extra["llm"]`` of a message is a JSON object with
the response's other values; JSON columns are parsed, each under the
column's name):

============================  ==================================================
``conversations.id``          the conversation's id, ``uuid5(LLM_NAMESPACE, id)``
                              (llm's ids are ULIDs), and ``extra["llm"]["conversation_id"]``
``conversations.name``        its ``title``
``conversations.model``       its ``extra["llm"]["model"]``
``responses.id``              ``extra["llm"]["response_id"]`` of each of its messages
``responses.datetime_utc``    ``created_at`` of its messages; the conversation's
                              ``created_at`` / ``updated_at``: its earliest / latest
``responses.system``          the system message (with ``system_fragments``)
``responses.prompt``          the user message (with ``prompt_fragments``, ``attachments``)
``responses.response``        the assistant message's ``content``
``responses.output_tokens``   its ``tokens`` (none given: convstore estimates)
``responses.duration_ms``     its ``latency_ms``
``responses.input_tokens``    its ``extra["llm"]``: the whole prompt's count,
                              history included, so not the user message's ``tokens``
``responses.model``           its ``extra["llm"]``, under the column's name, as
                              are ``resolved_model``, ``options_json``, ``prompt_json``,
                              ``response_json``, ``token_details``, ``schema_id``
                              and ``reasoning``
``responses.conversation_id`` which conversation; NULL: one of its own, id
                              ``uuid5(LLM_NAMESPACE, "response:" + id)``
``schemas``                   the assistant's ``extra["llm"]["schema"]`` (the parsed ``content``)
``fragments``                 text parts of the user message (``prompt_fragments``)
                              or the system text (``system_fragments``); their
                              ``id``, ``hash``, ``source``, ``datetime_utc`` in that
                              message's ``extra["llm"]["fragments"]``
``attachments``               parts of the user message (``prompt_attachments``);
                              their ``id``, ``type``, ``path``, ``url`` in its
                              ``extra["llm"]["attachments"]``
``tools``                     the assistant's ``extra["llm"]["tools"]`` (``tool_responses``)
``tool_calls``                the assistant's ``tool_calls`` (:func:`_tool_call`);
                              their ``id``, ``tool_id``, ``tool_call_id`` in its
                              ``extra["llm"]["tool_calls"]``; a call the model gave
                              no id gets ``llm-tool-call-<row id>``, and a result
                              without an id answers the previous response's first
                              such call of its tool (:meth:`_Conversation._call_id`)
``tool_results``              tool messages: ``output`` the content, the row's
                              other columns in ``extra["llm"]["tool_result"]``,
                              its ``tool_instances`` row in ``extra["llm"]["instance"]``,
                              its ``tool_results_attachments`` ids in
                              ``extra["llm"]["attachment_ids"]`` (llm also sends
                              them with the prompt: they are among its parts)
============================  ==================================================

Conversations of the message store
----------------------------------

llm's docs ("Threads, turns, messages and parts"): a thread is a
conversation, "a named pointer at the message at the head of that
conversation"; a turn is one model call, whose ``parent_message_hash`` is
the last message it was sent and whose ``tip_message_hash`` is the last one
after its reply was appended; a message (``system``, ``user``, ``assistant``
or ``tool``) links to its parent and is stored once, by a hash of its content
and its parent's, so threads share the messages of a shared history; a part
is a piece of a message (``text``, ``reasoning``, ``tool_call``,
``tool_result``, ``attachment``; llm.serialization's ``PartDict``).

Each thread is one conversation: the chain of messages from its first to its
tip (``threads.tip_message_hash``), in that order. Each turn on that chain
claims the messages after the previous turn's tip up to its own tip: those
up to its parent are what it sent first, the rest its reply. Its messages
are written at its ``datetime_utc``, and its reply's last message (an
``assistant`` message with nothing in it when the model answered nothing)
holds the turn's values. Messages after the last turn's tip (llm logs
none) are written at the thread's ``datetime_utc``. A turn whose tip is not
on the chain (the thread moved on from it, say to a second answer to an
earlier message) is a :class:`SourceProblem` after its conversation: not read.

A message becomes one message of its role; a ``tool`` message one ``tool``
message for each of its parts, each a tool result llm ran (llm writes
nothing else there; anything else is a :class:`SourceProblem`). Its parts
become what OpenAI's message has a field for (:func:`_said`): text parts its
text (joined, as ``llm logs`` shows them), or with attachments a list of
parts; an attachment the part of :func:`_attachment_part`; a tool call one
of its ``tool_calls``; a tool result the tool message's ``content`` and
``tool_call_id``. What those fields do not hold -- reasoning, calls and
results the provider ran itself (``server_executed``), a part of another
type, and the other members of a part (a tool result's ``name`` and
``exception``, an attachment's ``id``, ``type``, ``path``, ``url``,
``provider_metadata`` ...) -- is kept as given in
``extra["llm"]["parts"]``: ``{"position", "type", ...}`` a part. A text that
llm stored by reference to fragments (``text_ref``; "Storage by reference")
is their text and the literals, joined.

==================================  ============================================
``threads.id``                      the conversation's id, as a legacy conversation's
                                    (llm gives a conversation's thread its id:
                                    ``LogStore.ensure_thread``), ``extra["llm"]["conversation_id"]``
``threads.name``                    its ``title`` (a conversation also in the legacy
                                    tables keeps ``conversations.name``: llm names
                                    the thread after the prompt that continued it)
``threads.*`` but ``id``            its ``extra["llm"]["thread"]``
``threads.datetime_utc``            with its messages' times, its ``created_at`` /
                                    ``updated_at`` (earliest / latest)
``threads.forked_from``             a branch of that thread's conversation
                                    (``parent_id``), imported after it, ``fork_seq``
                                    the seq there of the last message the two share;
                                    it holds the messages after that one
``messages.hash``                   ``extra["llm"]["message_hash"]`` of its messages
``messages.provider_metadata``      their ``extra["llm"]["provider_metadata"]``
``parts``                           as said above
``turns.id``                        ``extra["llm"]["turn_id"]`` of the messages it claims
``turns.datetime_utc``              their ``created_at``
``turns.output_tokens``             its reply's ``tokens`` (none given: convstore estimates)
``turns.duration_ms``               its reply's ``latency_ms``
``turns.model``                     its reply's ``extra["llm"]``, under the column's
                                    name, as are ``resolved_model``, ``input_tokens``,
                                    ``schema_id``, ``options_json``, ``token_details`` and
                                    ``response_json`` (parsed; llm stores it condensed:
                                    "The raw provider payload")
``schemas``                         its reply's ``extra["llm"]["schema"]``
``turn_tools``                      its reply's ``extra["llm"]["tools"]``: each tool,
                                    with its ``tool_instances`` row as ``instance``
``turn_fragments``                  its reply's ``extra["llm"]["fragments"]``: ``kind``,
                                    ``id``, ``hash``, ``source``, ``datetime_utc`` each
``tool_instantiations``             a tool message's ``extra["llm"]["instance"]``
==================================  ============================================

Both generations, and the file as a whole
-----------------------------------------

A conversation continued by llm 0.32 or later is in both generations: its
first responses in the legacy tables, its later turns in a thread of the
same id, whose chain starts with the history llm sent again (rebuilt from
those responses). It is one conversation: the messages of its responses,
then those of its thread from its first turn's own input on (the user and
tool messages just before that turn's reply: llm's rule for a turn's prompt,
``_LogRowBuilder.build`` in llm/logs.py). Builds of llm between 0.32a3 and
0.32rc1 logged each call to both generations, with one id: such a response
is read once, as its turn, as ``llm logs`` shows it ("rows from the
dual-write era deduplicated by id", llm's changelog for 0.32rc1).

Conversations come in the order of their llm ids, then the responses
without a conversation, then the threads forked from another. Not read:
``responses_fts``, ``turn_search`` and their full-text indexes,
``fragment_aliases`` (names for fragments, not part of a conversation), the
``message_tree`` view, ``_llm_migrations`` and the ``log`` table of llm
before 0.5. A conversation without responses or messages holds nothing but
a name, and is not read.

A conversation with a value that cannot be read -- a ``datetime_utc`` that is
not an ISO 8601 time, text in a JSON column that is not JSON, a chain of
messages that does not reach its first message, a fork of a thread that is
not in the file -- is a :class:`SourceProblem` naming the row and the
column; the next conversation is read as usual. Every other value is
checked by the import (:meth:`convstore.Store.import_conversation`), as
every source's: a response whose ``prompt_json`` or ``response_json`` (llm
kept a long prompt in both) is over the store's ``Limits.max_json_bytes``
(1 MB by default) is refused there, with its conversation; a larger limit
takes it.
"""

from __future__ import annotations

import base64
import itertools
import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Any, NamedTuple

from .. import validation
from ..db.bare import foreign_connection, run_on_connection
from ..db.base import log_statement
from ..db.sqlite import SQLiteDatabase
from ..errors import InvalidInput
from ..sqlfiles.catalog import bind, catalogue
from ..sqlfiles.parser import Query
from ..types import SQLITE
from ..urls import DatabaseURL
from .sources import SourceConversation, SourceProblem

LLM_NAMESPACE = uuid.UUID("ec994574-b96a-4e61-a839-c7d468cb4ed2")
"""The namespace of the conversation ids made from llm's (chosen once for
convstore): the same llm conversation is the same convstore conversation in
every import, so importing again stores nothing twice."""

REQUIRED = {
    "conversations": ("id", "name", "model"),
    "responses": (
        "id",
        "model",
        "prompt",
        "system",
        "prompt_json",
        "options_json",
        "response",
        "response_json",
        "conversation_id",
        "duration_ms",
        "datetime_utc",
    ),
}
"""The tables and columns every ``logs.db`` since llm 0.5 has (migration
``m010_create_new_log_tables``); a file without them is not llm's."""

STORE = {
    "threads": ("id", "name", "tip_message_hash", "forked_from", "datetime_utc"),
    "turns": (
        "id",
        "thread_id",
        "parent_message_hash",
        "tip_message_hash",
        "model",
        "resolved_model",
        "options_json",
        "schema_id",
        "input_tokens",
        "output_tokens",
        "token_details",
        "duration_ms",
        "datetime_utc",
    ),
    "messages": ("hash", "parent_hash", "role", "provider_metadata"),
    "parts": ("id", "message_hash", "position", "type", "tool_name", "text", "payload"),
    "part_attachments": ("part_id", "attachment_id", "order"),
    "part_fragments": ("part_id", "fragment_id", "order"),
    "turn_tools": ("turn_id", "tool_id", "instance_id"),
    "turn_fragments": ("turn_id", "fragment_id", "order", "kind"),
    "tool_instantiations": ("turn_id", "tool_call_id", "instance_id"),
    "attachments": ("id", "type", "path", "url", "content"),
    "fragments": ("id", "hash", "content", "datetime_utc", "source"),
    "schemas": ("id", "content"),
    "tools": ("id", "name"),
    "tool_instances": ("id", "plugin", "name", "arguments"),
}
"""The tables and columns of llm's message store that are read, as the first
release that has it (llm 0.32rc1: migrations ``m023_message_store`` and
``m024_tool_instance_references``) and every later one create them, with the
legacy tables they refer to; a file with a ``threads`` table must have them
all (``turns.response_json``, from llm 0.32, is read where it is)."""

RELATED: dict[str, tuple[str, ...]] = {
    "prompt_attachments": ("prompt_attachments", "attachments"),
    "fragments": ("fragments", "prompt_fragments", "system_fragments"),
    "schemas": ("schemas", "responses.schema_id"),
    "tools": ("tools", "tool_responses"),
    "tool_calls": ("tool_calls",),
    "tool_results": ("tool_results",),
    "tool_instances": ("tool_instances", "tool_results.instance_id"),
    "tool_result_attachments": ("tool_results_attachments", "tool_results"),
    "twins": ("turns",),
}
"""The statements (``llm.<name>``) of the rows that hang off a response, each
with the tables (and ``table.column``) it reads: one the file lacks is not
run. ``twins`` says which responses are also turns (read as turns)."""

ANSWER_COLUMNS = ("model", "resolved_model", "input_tokens", "schema_id", "reasoning")
"""The columns of a model call (a response, a turn) kept as they are in its
answer's ``extra["llm"]``, those the row has."""

ANSWER_JSON_COLUMNS = ("options_json", "prompt_json", "response_json", "token_details")
"""The JSON columns of a model call kept parsed in its answer's ``extra["llm"]``,
those the row has."""

AUDIO_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}
"""The audio types an ``input_audio`` part holds, by their ``format`` (the
Chat Completions API takes wav and mp3); other audio is a ``file`` part."""

ORDER = ("lone", "conversation_key", "response_key")
"""The columns of the order every statement of a response's rows returns them
in (sql/sources/llm/responses.sql)."""

FORKS = 2
"""Where the threads forked from another come: after the conversations (lone
0) and the responses without one (lone 1) of :data:`ORDER`."""

TURN_TOOL_COLUMNS = (
    "turn_id",
    "instance_id",
    "instance_plugin",
    "instance_name",
    "instance_arguments",
)
"""The columns of llm.turn_tools that are not the tool's."""

INPUT_ROLES = ("user", "tool")
"""The roles of the messages a turn sends before its reply (llm/logs.py,
``_LogRowBuilder.build``: "a turn's new input never contains an assistant
message")."""

Row = dict[str, Any]


def read_llm_logs(path: str | Path) -> Iterator[SourceConversation | SourceProblem]:
    """Each conversation of the ``logs.db`` at ``path`` (read-only, never
    changed), as the module docstring lays it out: in the order of llm's
    conversation ids, then the responses without a conversation, then the
    forked threads. ``where`` is ``"conversation <llm id>"`` (a thread's id is
    its conversation's; ``"response <llm id>"`` for a response without one);
    a message's place in it names its response or turn and what it is
    (``"response 01j... prompt"``, ``"turn 01k... message b2:..."``).
    Conversations carry no ``user_id``: the import gives them the user it is
    told to. A thread's turns that are not read are a :class:`SourceProblem`
    after its conversation, at the same ``where``.

    Nothing is opened until the iterator is advanced; the file is closed
    when it is exhausted or closed.

    :raises InvalidInput: if there is no file at ``path``, it is not a SQLite
        database, or it lacks the tables or columns of :data:`REQUIRED`, or,
        having a ``threads`` table, those of :data:`STORE` (naming them).
    :raises ConvstoreError: if SQLite fails otherwise (``DatabaseUnavailable``
        for a file locked past the busy timeout).
    """
    url = DatabaseURL.of_sqlite_file(str(path))
    with _opened(url) as connection:
        tables = _tables(connection, url.sqlite_path)
        related = {
            name: _Alongside(_rows(connection, name) if _has(tables, needs) else iter(()))
            for name, needs in RELATED.items()
        }
        legacy = itertools.groupby(_rows(connection, "responses"), key=_conversation_of)
        threads = _rows(connection, "threads") if "threads" in tables else iter(())
        store = _MessageStore(connection)
        for key, responses, thread in _merged(legacy, threads):
            yield from _entries(key, responses, thread, related, store)


def conversation_id(llm_conversation_id: str) -> str:
    """The convstore id of an llm conversation (or thread): ``uuid5(LLM_NAMESPACE, id)``."""
    return str(uuid.uuid5(LLM_NAMESPACE, llm_conversation_id))


def lone_response_conversation_id(response_id: str) -> str:
    """The convstore id of the conversation of a response without one:
    ``uuid5(LLM_NAMESPACE, "response:" + id)`` (no ULID holds a colon)."""
    return str(uuid.uuid5(LLM_NAMESPACE, f"response:{response_id}"))


# -- one conversation -------------------------------------------------------------------


def _merged(
    legacy: Iterator[tuple[tuple[int, str], Iterator[Row]]], threads: Iterator[Row]
) -> Iterator[tuple[tuple[int, str], Iterator[Row] | None, Row | None]]:
    """``(key, responses, thread)`` for each llm conversation, in the order
    of keys: the responses of a conversation of the legacy tables and the
    thread of the same id together, either ``None`` when it has none (a
    thread's key is :func:`_thread_key`). Each group of responses is read by
    the caller before the next is taken."""
    group, thread = next(legacy, None), next(threads, None)
    while group is not None or thread is not None:
        group_key = group[0] if group is not None else None
        thread_key = _thread_key(thread) if thread is not None else None
        key = min(k for k in (group_key, thread_key) if k is not None)
        yield (
            key,
            group[1] if group is not None and group_key == key else None,
            thread if thread_key == key else None,
        )
        if group_key == key:
            group = next(legacy, None)
        if thread_key == key:
            thread = next(threads, None)


def _thread_key(thread: Row) -> tuple[int, str]:
    """Where a thread comes among the conversations of the legacy tables
    (llm.threads and llm.responses sort alike): a fork after them all."""
    return (FORKS if thread["forked"] else 0, thread["thread_key"])


def _entries(
    key: tuple[int, str],
    responses: Iterator[Row] | None,
    thread: Row | None,
    related: Mapping[str, _Alongside],
    store: _MessageStore,
) -> Iterator[SourceConversation | SourceProblem]:
    """The conversation of one llm conversation -- its ``responses`` (all of
    one llm conversation, or one lone response), its ``thread``, or both --
    or the problem of the first value that cannot be read; then the problem
    of its thread's turns that are not read, if any."""
    lone, llm_id = key[0] == 1, key[1]
    where = f"response {llm_id}" if lone else f"conversation {llm_id}"
    built = _Conversation()
    first = None
    try:
        if responses is not None:
            first = next(responses)  # a group of groupby is never empty
            for response in itertools.chain([first], responses):
                rows = {name: alongside.of(response) for name, alongside in related.items()}
                if not rows["twins"]:
                    built.add(response, rows)
        fork, unread = store.add(thread, built) if thread is not None else ({}, [])
    except InvalidInput as error:
        yield SourceProblem(where, str(error))
        return
    if built.messages or fork:
        conversation = {
            **_identity(lone, llm_id, first, thread),
            **fork,
            "created_at": min(built.times),
            "updated_at": max(built.times),
        }
        yield SourceConversation(where, conversation, built.messages)
    if unread:
        yield SourceProblem(
            where,
            f"turns {', '.join(unread)} of its thread are not on the chain of messages "
            "that ends at its tip_message_hash (the thread moved on from them): not read",
        )


def _identity(lone: bool, llm_id: str, first: Row | None, thread: Row | None) -> dict[str, Any]:
    """The ``id``, ``title`` and ``extra`` of a conversation whose first
    response is ``first`` and whose thread is ``thread`` (either ``None``
    when it has none)."""
    if lone:
        return {
            "id": lone_response_conversation_id(llm_id),
            "title": None,
            "extra": {"llm": {"conversation_id": None}},
        }
    llm: dict[str, Any] = {"conversation_id": llm_id}
    title = None
    if thread is not None:
        title = thread["name"]
        llm["thread"] = {
            column: thread[column]
            for column in ("name", "tip_message_hash", "forked_from", "datetime_utc")
        }
    if first is not None:  # llm names the thread of a conversation it continues anew
        title = first["conversation_name"]
        llm["model"] = first["conversation_model"]
    return {"id": conversation_id(llm_id), "title": title, "extra": {"llm": llm}}


class _Conversation:
    """The messages of one conversation, as its responses are read in order,
    then its thread's."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        """(place, ImportedMessage), seq :attr:`first_seq`, the next ..."""
        self.first_seq = 1
        """The seq of the first message: 1, or a branch's the one after its fork point."""
        self.times: list[str] = []
        """The time of each message and of the thread, canonical."""
        self.system: str | None = None
        """The system prompt in effect."""
        self.unanswered: list[tuple[str, str]] = []
        """(name, id given) of the last response's tool calls that had no id
        of their own, for its tool results without one (:meth:`_call_id`)."""

    def append(self, place: str, message: dict[str, Any], created_at: str) -> int:
        """Add ``message`` at ``place``, written at ``created_at``; its seq."""
        seq = self.first_seq + len(self.messages)
        message.update(seq=seq, created_at=created_at)
        self.messages.append((place, message))
        self.times.append(created_at)
        return seq

    def add(self, response: Row, related: Mapping[str, list[Row]]) -> None:
        """Add the messages of ``response``, whose other rows are ``related``
        (by statement name).

        :raises InvalidInput: for a time or JSON value that cannot be read,
            naming the response and the column.
        """
        response_id = response["response_key"]
        created_at = _time(f"response {response_id}", response["datetime_utc"])
        fragments = related["fragments"]
        prompt_fragments = [f for f in fragments if f["kind"] == "prompt"]
        system_fragments = [f for f in fragments if f["kind"] == "system"]
        said = [*self._tool_results(response_id, related)]
        system = _system_text(response["system"], system_fragments)
        if system and system != self.system:
            self.system = system
            said.append(("system", _system_message(response, system, system_fragments)))
        prompt = _prompt_message(response, prompt_fragments, related["prompt_attachments"])
        if prompt is not None:
            said.append(("prompt", prompt))
        said.append(("response", _answer(response, related)))
        self.unanswered = [
            (row["name"], _tool_call(row)["id"])
            for row in related["tool_calls"]
            if not row["tool_call_id"]
        ]
        for place, message in said:
            self.append(f"response {response_id} {place}", message, created_at)

    def _tool_results(
        self, response_id: str, related: Mapping[str, list[Row]]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """A tool message for each tool result the response's prompt sent, with its place."""
        where = f"response {response_id}"
        instances = {row["tool_result_id"]: row for row in related["tool_instances"]}
        attachments = related["tool_result_attachments"]
        for result in related["tool_results"]:
            tool_result = {
                k: v for k, v in result.items() if k not in (*ORDER, "response_id", "output")
            }
            llm: dict[str, Any] = {"response_id": response_id, "tool_result": tool_result}
            instance = instances.get(result["id"])
            if instance is not None:
                llm["instance"] = _instance(where, instance)
            ids = [a["attachment_id"] for a in attachments if a["tool_result_id"] == result["id"]]
            if ids:
                llm["attachment_ids"] = ids
            message = {
                "role": "tool",
                "content": result["output"] if result["output"] is not None else "",
                "tool_call_id": self._call_id(result),
                "extra": {"llm": llm},
            }
            yield f"tool result {result['id']}", message

    def _call_id(self, result: Row) -> str:
        """The id of the call a tool result answers: llm's ``tool_call_id``;
        without one (a model that gives calls no ids), the id given to the
        previous response's first call of that tool that had none, else one
        of its own (``llm-tool-result-<row id>``)."""
        if result["tool_call_id"]:
            return str(result["tool_call_id"])
        for index, (name, call_id) in enumerate(self.unanswered):
            if name == result["name"]:
                del self.unanswered[index]
                return call_id
        return f"llm-tool-result-{result['id']}"


# -- the messages of a response ---------------------------------------------------------


def _system_text(system: str | None, fragments: Sequence[Row]) -> str | None:
    """The system prompt llm sent: the ``system`` column; with system
    fragments, llm's ``Prompt.system`` -- the fragments then the column, each
    stripped, the blank ones left out, joined by a blank line. ``None`` for none."""
    if not fragments:
        return system or None
    bits = [(text or "").strip() for text in [*(f["content"] for f in fragments), system]]
    return "\n\n".join(bit for bit in bits if bit) or None


def _system_message(response: Row, system: str, fragments: Sequence[Row]) -> dict[str, Any]:
    llm: dict[str, Any] = {"response_id": response["response_key"]}
    if fragments:  # the text was built from them: keep the column as it was
        llm.update(system=response["system"], fragments=[_fragment(f) for f in fragments])
    return {"role": "system", "content": system, "extra": {"llm": llm}}


def _prompt_message(
    response: Row, fragments: Sequence[Row], attachments: Sequence[Row]
) -> dict[str, Any] | None:
    """The user message of a response's prompt; ``None`` when it sent none."""
    prompt = response["prompt"]
    llm: dict[str, Any] = {"response_id": response["response_key"]}
    if not fragments and not attachments:
        return {"role": "user", "content": prompt, "extra": {"llm": llm}} if prompt else None
    parts = [{"type": "text", "text": f["content"] or ""} for f in fragments]
    if prompt:
        parts.append({"type": "text", "text": prompt})
    parts += [_attachment_part(attachment) for attachment in attachments]
    if fragments:
        llm["fragments"] = [_fragment(f) for f in fragments]
    if attachments:
        llm["attachments"] = [_attachment(a) for a in attachments]
    return {"role": "user", "content": parts, "extra": {"llm": llm}}


def _answer(response: Row, related: Mapping[str, list[Row]]) -> dict[str, Any]:
    """The assistant message of a response."""
    calls = related["tool_calls"]
    response_id = response["response_key"]
    where = f"response {response_id}"
    schema = related["schemas"][0]["content"] if related["schemas"] else None
    tools = [_tool(where, row, ORDER) for row in related["tools"]]
    llm: dict[str, Any] = {
        "response_id": response_id,
        **_model_call(where, response, schema, tools),
    }
    if calls:
        llm["tool_calls"] = [
            {"id": row["id"], "tool_id": row["tool_id"], "tool_call_id": row["tool_call_id"]}
            for row in calls
        ]
    return {
        "role": "assistant",
        "content": response["response"],
        "tool_calls": [_tool_call(row) for row in calls] or None,
        "tokens": response.get("output_tokens"),
        "latency_ms": response["duration_ms"],
        "extra": {"llm": llm},
    }


def _tool_call(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``tool_calls`` row as an OpenAI tool call: ``{"id", "type": "function",
    "function": {"name", "arguments": <JSON text, as llm logged it>}}``; a call
    without an id of the model's gets ``llm-tool-call-<row id>``, and one
    without arguments none (the API then sends ``{}``)."""
    function = {"name": row["name"]}
    if row["arguments"] is not None:
        function["arguments"] = row["arguments"]
    call_id = row["tool_call_id"] or f"llm-tool-call-{row['id']}"
    return {"id": str(call_id), "type": "function", "function": function}


# -- the message store ------------------------------------------------------------------


class _MessageStore:
    """llm's message store, read thread by thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.seqs: dict[str, dict[str, int]] = {}
        """For each thread read that has forks: the seq of each message of its
        chain in its conversation (a tool message's last), by hash."""

    def add(self, thread: Row, built: _Conversation) -> tuple[dict[str, Any], list[str]]:
        """Add the messages of ``thread`` to ``built``, after those of the same
        conversation's legacy responses if it holds any (then without the
        history llm sent again: :func:`_sent_again`); return a fork's
        ``parent_id`` and ``fork_seq`` (``{}`` for a root) and the ids of its
        turns that are not on its chain.

        :raises InvalidInput: for a value that cannot be read, naming its
            row, or a fork of a thread that was not read.
        """
        read = _Thread(self.connection, thread)
        seqs: dict[str, int] = {}
        fork: dict[str, Any] = {}
        if thread["forked"]:
            fork_seq, skip = self._fork_point(thread["forked_from"], read.chain, seqs)
            fork = {"parent_id": conversation_id(thread["forked_from"]), "fork_seq": fork_seq}
            built.first_seq = fork_seq + 1
        else:
            skip = _sent_again(read.chain, read.spans) if built.messages else 0
        for place, message, created_at, message_hash in read.messages(self.connection, skip):
            seq = built.append(place, message, created_at)
            if message_hash is not None:
                seqs[message_hash] = seq
        built.times.append(read.started)
        if thread["has_forks"]:
            self.seqs[thread["id"]] = seqs
        return fork, read.unread

    def _fork_point(
        self, parent_id: str, chain: Sequence[_Message], seqs: dict[str, int]
    ) -> tuple[int, int]:
        """The seq in the conversation of thread ``parent_id`` of the last
        message of ``chain`` it holds (the fork's ``fork_seq``), and how many
        messages of ``chain`` the two share; ``seqs`` takes theirs. Threads
        that share a message share all before it: its hash covers its parent's.

        :raises InvalidInput: if that thread was not read (it is not in the
            file, or could not be read), or shares no message that its
            conversation holds.
        """
        if parent_id not in self.seqs:
            raise InvalidInput(
                f"forked_from: thread {parent_id} is not in the file, or could not be read"
            )
        parent = self.seqs[parent_id]
        shared = [index for index, message in enumerate(chain) if message.hash in parent]
        if not shared:
            raise InvalidInput(
                f"forked_from: its chain shares none of the messages of thread {parent_id} "
                "that are read"
            )
        seqs.update((chain[index].hash, parent[chain[index].hash]) for index in shared)
        return parent[chain[shared[-1]].hash], shared[-1] + 1


class _Message(NamedTuple):
    """A message of the store with the rows of its parts (llm.chain's)."""

    hash: str
    parent_hash: str | None
    role: str
    provider_metadata: str | None
    part_rows: list[Row]


class _Part(NamedTuple):
    """A part of a message, read."""

    id: int
    members: dict[str, Any]
    """As llm's ``Part.to_dict()`` gives it (llm.serialization's ``PartDict``),
    with its ``position``: ``type`` from its column, the members of its
    payload, ``text`` from its column or its ``text_ref`` resolved, and each
    attachment it refers to as ``{"id", "type", "path", "url"}``."""
    attachments: list[Row]
    """The rows of the attachments it refers to (llm.part_attachments), bytes included."""


class _Span(NamedTuple):
    """The messages of a thread's chain that one turn claims, by index:
    ``start`` up to ``end`` (past its tip), its reply from ``reply`` on."""

    turn: Row | None
    """``None`` for the messages after the last turn's tip."""
    start: int
    reply: int
    end: int


class _Thread:
    """One thread of the message store, read: its chain, its turns on it and
    their rows."""

    def __init__(self, connection: sqlite3.Connection, thread: Row) -> None:
        """:raises InvalidInput: for a value that cannot be read, naming its row."""
        self.started = _time(f"thread {thread['id']}", thread["datetime_utc"])
        """The thread's ``datetime_utc``, canonical."""
        self.chain = _chain(connection, thread["tip_message_hash"])
        turns = list(_rows(connection, "turns", thread_id=thread["id"]))
        self.spans, self.unread = _spans(self.chain, turns)
        self.tools, self.fragments, self.instances = (
            _grouped(_rows(connection, name, thread_id=thread["id"]), "turn_id")
            for name in ("turn_tools", "turn_fragments", "tool_instantiations")
        )

    def messages(
        self, connection: sqlite3.Connection, skip: int
    ) -> Iterator[tuple[str, dict[str, Any], str, str | None]]:
        """``(place, message, created_at, hash of the llm message it is of)``
        for the messages of the chain from index ``skip`` on, in order;
        ``None`` for the hash of an answer that replies nothing.

        :raises InvalidInput: for a value that cannot be read, naming its row.
        """
        parts = _parts(connection, self.chain[skip:])
        for span in self.spans:
            if span.end <= skip:
                continue
            turn = span.turn
            created_at = _time(f"turn {turn['id']}", turn["datetime_utc"]) if turn else self.started
            sent = self._messages_at(
                span, range(max(span.start, skip), max(span.reply, skip)), parts, skip
            )
            reply = self._messages_at(span, range(max(span.reply, skip), span.end), parts, skip)
            if turn is not None:
                if not reply:  # llm logs a reply of no message when the model said nothing
                    llm = {"turn_id": turn["id"]}
                    nothing = {"role": "assistant", "content": "", "extra": {"llm": llm}}
                    reply.append((f"turn {turn['id']} reply", nothing, None))
                _answer_of_turn(reply[-1][1], turn, self.tools, self.fragments)
            for place, message, message_hash in [*sent, *reply]:
                yield place, message, created_at, message_hash

    def _messages_at(
        self, span: _Span, indexes: range, parts: Sequence[list[_Part]], skip: int
    ) -> list[tuple[str, dict[str, Any], str | None]]:
        """``(place, message, hash)`` of the chain's messages at ``indexes``."""
        turn_id = span.turn["id"] if span.turn is not None else None
        called = {row["tool_call_id"]: row for row in self.instances.get(turn_id, ())}
        said: list[tuple[str, dict[str, Any], str | None]] = []
        for index in indexes:
            message = self.chain[index]
            place = (
                f"message {message.hash}"
                if turn_id is None
                else f"turn {turn_id} message {message.hash}"
            )
            for part_place, one in _said(message, parts[index - skip], called, place):
                if turn_id is not None:
                    one["extra"]["llm"]["turn_id"] = turn_id
                said.append((part_place, one, message.hash))
        return said


def _chain(connection: sqlite3.Connection, tip: str | None) -> list[_Message]:
    """The messages from the first to ``tip`` (none for ``None``), each with
    its parts' rows.

    :raises InvalidInput: if they do not reach a first message (one without
        a parent): the tip or a parent is not in ``messages``, or the links loop.
    """
    chain: list[_Message] = []
    depth = None
    for row in _rows(connection, "chain", tip=tip):
        if row["depth"] != depth:
            depth = row["depth"]
            chain.append(
                _Message(row["hash"], row["parent_hash"], row["role"], row["provider_metadata"], [])
            )
        if row["part_id"] is not None:
            chain[-1].part_rows.append(row)
    if tip is not None and (not chain or chain[0].parent_hash is not None):
        missing = chain[0].parent_hash if chain else tip
        raise InvalidInput(
            f"tip_message_hash: the chain of messages that ends at {tip} does not reach a "
            f"first message (message {missing} is not in messages, or the parent links loop)"
        )
    return chain


def _spans(chain: Sequence[_Message], turns: Sequence[Row]) -> tuple[list[_Span], list[str]]:
    """The span of each turn whose tip is on ``chain``, in the chain's order
    (a turn claims the messages after the previous one's tip up to its own),
    and one of the messages after the last tip; the ids of the other turns.

    :raises InvalidInput: for a turn whose parent is not before its tip on the chain.
    """
    at = {message.hash: index for index, message in enumerate(chain)}
    spans = []
    start = 0
    on_chain = [turn for turn in turns if turn["tip_message_hash"] in at]
    for turn in sorted(on_chain, key=lambda turn: at[turn["tip_message_hash"]]):
        end = at[turn["tip_message_hash"]] + 1
        parent = turn["parent_message_hash"]
        if parent is not None and at.get(parent, end) >= end:
            raise InvalidInput(
                f"turn {turn['id']}: parent_message_hash {parent} is not before its "
                f"tip_message_hash {turn['tip_message_hash']} on the chain of its thread"
            )
        reply = at[parent] + 1 if parent is not None else 0
        spans.append(_Span(turn, start, max(start, reply), end))
        start = end
    if start < len(chain):
        spans.append(_Span(None, start, len(chain), len(chain)))
    return spans, [turn["id"] for turn in turns if turn["tip_message_hash"] not in at]


def _sent_again(chain: Sequence[_Message], spans: Sequence[_Span]) -> int:
    """How many messages at the start of the chain of a conversation that
    llm continued are the history it sent again, rebuilt from its legacy
    responses: those before its first turn's own input, the user and tool
    messages just before that turn's reply (:data:`INPUT_ROLES`); all of
    them when no turn is on the chain."""
    first = next((span for span in spans if span.turn is not None), None)
    if first is None:
        return len(chain)
    start = first.reply
    while start > 0 and chain[start - 1].role in INPUT_ROLES:
        start -= 1
    return start


def _parts(connection: sqlite3.Connection, chain: Sequence[_Message]) -> list[list[_Part]]:
    """The parts of each message of ``chain``, read (:class:`_Part`): the
    attachments and fragments they refer to are read for all at once.

    :raises InvalidInput: for a payload that is not a JSON object, or a
        ``text_ref`` that names a fragment not in ``fragments``.
    """
    rows = [row for message in chain for row in message.part_rows]
    payloads = {row["part_id"]: _payload(row) for row in rows}
    referring = [row["part_id"] for row in rows if row["type"] in ("attachment", "tool_result")]
    attachments = _grouped(_rows_of_parts(connection, "part_attachments", referring), "part_id")
    texts = [part_id for part_id, payload in payloads.items() if "text_ref" in payload]
    fragments = {
        row["id"]: row["content"] for row in _rows_of_parts(connection, "part_fragments", texts)
    }
    return [
        [
            _part(row, payloads[row["part_id"]], attachments.get(row["part_id"], []), fragments)
            for row in message.part_rows
        ]
        for message in chain
    ]


def _payload(row: Row) -> dict[str, Any]:
    """A part's ``payload`` (``{}`` for NULL: its text column holds it all).

    :raises InvalidInput: for one that is not a JSON object."""
    payload = _json(f"part {row['part_id']}", "payload", row["payload"])
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise InvalidInput(f"part {row['part_id']}: payload is not a JSON object")
    return payload


def _part(
    row: Row, payload: dict[str, Any], attachments: list[Row], fragments: Mapping[int, str]
) -> _Part:
    """A part read from its ``row``, ``payload``, the rows of the
    ``attachments`` it refers to and the text of every ``fragments`` it may name.

    :raises InvalidInput: for a ``text_ref`` that names a fragment not in ``fragments``.
    """
    members = {**payload, "position": row["position"], "type": row["type"]}
    if row["text"] is not None:
        members["text"] = row["text"]
    if "text_ref" in members:
        members["text"] = _text(row["part_id"], members.pop("text_ref"), fragments)
    if attachments and row["type"] == "attachment":
        members["attachment"] = _attachment(attachments[0])
    elif attachments:
        members["attachments"] = [_attachment(attachment) for attachment in attachments]
    return _Part(row["part_id"], members, attachments)


def _text(part_id: int, pieces: Any, fragments: Mapping[int, str]) -> str:
    """The text of a ``text_ref``: its literals and the text of the
    fragments it names, joined (llm's docs, "Storage by reference").

    :raises InvalidInput: if it names a fragment not in ``fragments``, or is
        not a list of ``{"fragment": id}`` and ``{"literal": text}``."""
    try:
        return "".join(
            piece["literal"] if "literal" in piece else fragments[piece["fragment"]]
            for piece in pieces
        )
    except (KeyError, TypeError):
        raise InvalidInput(
            f"part {part_id}: payload.text_ref {validation.show(pieces)} names a fragment that "
            "is not in fragments, or is not a list of fragments and literals"
        ) from None


def _said(
    message: _Message, parts: Sequence[_Part], called: Mapping[str, Row], place: str
) -> list[tuple[str, dict[str, Any]]]:
    """The messages of an llm message at ``place``, each with its place: a
    ``tool`` message's tool results, one each (``called``: the instance that
    ran each call, by its id); any other message's one, with the text,
    attachments and tool calls of its parts in OpenAI's fields and the rest
    of its parts in ``extra["llm"]["parts"]`` (:func:`_mapped`).

    :raises InvalidInput: for a ``provider_metadata`` that is not JSON, or
        a tool message's part that is not a tool result llm ran.
    """
    llm: dict[str, Any] = {"message_hash": message.hash}
    metadata = _json(f"message {message.hash}", "provider_metadata", message.provider_metadata)
    if metadata is not None:
        llm["provider_metadata"] = metadata
    if message.role == "tool":
        return [_tool_message(part, llm, called, place) for part in parts]
    pieces, calls, kept = [], [], []
    for part in parts:
        piece, call, held = _mapped(part)
        rest = _kept(part.members, held)
        if piece is not None:
            pieces.append(piece)
        if call is not None:
            calls.append(call)
        if rest is not None:
            kept.append(rest)
    if kept:
        llm["parts"] = kept
    content: Any = None
    if any(piece["type"] != "text" for piece in pieces):
        content = pieces
    elif pieces:  # one text, as llm logs shows them: joined (_text_of in llm/logs.py)
        content = "".join(piece["text"] for piece in pieces)
    return [
        (
            place,
            {
                "role": message.role,
                "content": content,
                "tool_calls": calls or None,
                "extra": {"llm": llm},
            },
        )
    ]


def _mapped(part: _Part) -> tuple[dict[str, Any] | None, dict[str, Any] | None, tuple[str, ...]]:
    """What OpenAI's message holds of a part of a message that is not a tool
    message: a content part (a text; an attachment, :func:`_attachment_part`),
    a tool call in ``tool_calls`` (one llm ran, not the provider) or neither,
    and the members of the part it holds."""
    members = part.members
    if members["type"] == "text":
        return {"type": "text", "text": members.get("text", "")}, None, ("text",)
    if members["type"] == "attachment" and part.attachments:
        return _attachment_part(part.attachments[0]), None, ()
    if members["type"] == "tool_call" and not members.get("server_executed"):
        return None, _store_call(members), ("name", "arguments", "tool_call_id")
    return None, None, ()


def _kept(members: Mapping[str, Any], held: Sequence[str]) -> dict[str, Any] | None:
    """A part's members that OpenAI's message does not hold (all but ``held``),
    with its ``position`` and ``type``; ``None`` if there are none."""
    rest = {key: value for key, value in members.items() if key not in held}
    return rest if rest.keys() - {"position", "type"} else None


def _store_call(members: Mapping[str, Any]) -> dict[str, Any]:
    """A ``tool_call`` part as an OpenAI tool call: ``{"id": tool_call_id,
    "type": "function", "function": {"name", "arguments": <its JSON text>}}``
    (llm gives every call an id: its changelog for 0.32a3)."""
    function = {"name": members.get("name")}
    if "arguments" in members:
        function["arguments"] = json.dumps(members["arguments"])
    return {"id": members.get("tool_call_id"), "type": "function", "function": function}


def _tool_message(
    part: _Part, llm: Mapping[str, Any], called: Mapping[str, Row], place: str
) -> tuple[str, dict[str, Any]]:
    """The tool message of a tool result at ``place`` (``"... part <position>"``):
    its ``output`` the content, the call's id its ``tool_call_id``, its other
    members in ``extra["llm"]["parts"]``, the instance that ran the call in
    ``extra["llm"]["instance"]``.

    :raises InvalidInput: for a part that is not a tool result llm ran
        (llm's tool messages hold those only: ``Prompt.messages`` in llm/models.py)."""
    members = part.members
    if members["type"] != "tool_result" or members.get("server_executed"):
        raise InvalidInput(
            f"part {part.id}: a tool message holds a {members['type']} part that is not a "
            "result of a tool llm ran"
        )
    extra = dict(llm)
    kept = _kept(members, ("output", "tool_call_id"))
    if kept is not None:
        extra["parts"] = [kept]
    instance = called.get(members.get("tool_call_id", ""))
    if instance is not None:
        extra["instance"] = _instance(f"part {part.id}", instance)
    message = {
        "role": "tool",
        "content": members.get("output", ""),
        "tool_call_id": members.get("tool_call_id"),
        "extra": {"llm": extra},
    }
    return f"{place} part {members['position']}", message


def _answer_of_turn(
    message: dict[str, Any],
    turn: Row,
    tools: Mapping[Any, list[Row]],
    fragments: Mapping[Any, list[Row]],
) -> None:
    """Give the last message of a turn's reply the turn's values: ``tokens``,
    ``latency_ms`` and, in ``extra["llm"]``, its other columns, schema, tools
    and fragments (:func:`_model_call`).

    :raises InvalidInput: for a JSON value that cannot be read, naming the turn."""
    where = f"turn {turn['id']}"
    offered = [_offered(where, row) for row in tools.get(turn["id"], ())]
    message["extra"]["llm"].update(_model_call(where, turn, turn["schema_content"], offered))
    given = [{"kind": row["kind"], **_fragment(row)} for row in fragments.get(turn["id"], ())]
    if given:
        message["extra"]["llm"]["fragments"] = given
    message.update(tokens=turn["output_tokens"], latency_ms=turn["duration_ms"])


def _offered(where: str, row: Row) -> dict[str, Any]:
    """A tool a turn was offered (a row of llm.turn_tools), with the instance
    that provided it."""
    tool = _tool(where, row, TURN_TOOL_COLUMNS)
    if row["instance_id"] is not None:
        tool["instance"] = _instance(where, row, "instance_")
    return tool


def _grouped(rows: Iterable[Row], column: str) -> dict[Any, list[Row]]:
    """``rows``, which come ordered by ``column``, by its value."""
    return {
        value: list(group) for value, group in itertools.groupby(rows, key=lambda row: row[column])
    }


# -- the values of both generations -----------------------------------------------------


def _model_call(
    where: str, row: Row, schema: str | None, tools: list[dict[str, Any]]
) -> dict[str, Any]:
    """The values of a model call (a response, a turn: ``where``) in its
    answer's ``extra["llm"]``: its columns of :data:`ANSWER_COLUMNS` and
    :data:`ANSWER_JSON_COLUMNS` that ``row`` has, the JSON ``schema`` it was
    asked to follow (``schemas.content``), parsed, and the ``tools`` it was
    offered.

    :raises InvalidInput: for a JSON value that cannot be read, naming ``where``."""
    llm = {column: row[column] for column in ANSWER_COLUMNS if column in row}
    llm.update(
        (column, _json(where, column, row[column]))
        for column in ANSWER_JSON_COLUMNS
        if column in row
    )
    if schema is not None:
        llm["schema"] = _json(where, "schemas.content", schema)
    if tools:
        llm["tools"] = tools
    return llm


def _attachment_part(attachment: Mapping[str, Any]) -> dict[str, Any]:
    """An attachment as a content part (the Chat Completions API's): with its
    bytes, an image as ``image_url`` with a ``data:`` URL, wav or mp3 audio as
    ``input_audio`` (base64, :data:`AUDIO_FORMATS`), anything else as a
    ``file`` with a ``data:`` URL (and its file name, if llm kept its path);
    without them, an image by its ``url`` as ``image_url``. llm keeps no
    bytes of an attachment given by path (nor of other types by URL): such one
    is an ``llm_attachment`` part, ``{"type": "llm_attachment",
    "llm_attachment": {"id", "type", "path", "url"}}``, which says what it was."""
    media_type = attachment["type"] or "application/octet-stream"
    content = attachment["content"]
    if isinstance(content, str):  # a text file, stored as TEXT
        content = content.encode("utf-8")
    if content:
        data = base64.b64encode(content).decode("ascii")
        if media_type.startswith("image/"):
            return {"type": "image_url", "image_url": {"url": f"data:{media_type};base64,{data}"}}
        if media_type in AUDIO_FORMATS:
            audio = {"data": data, "format": AUDIO_FORMATS[media_type]}
            return {"type": "input_audio", "input_audio": audio}
        file = {"file_data": f"data:{media_type};base64,{data}"}
        if attachment["path"]:
            file["filename"] = PurePath(attachment["path"]).name
        return {"type": "file", "file": file}
    if attachment["url"] and media_type.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": attachment["url"]}}
    return {"type": "llm_attachment", "llm_attachment": _attachment(attachment)}


def _attachment(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "type": row["type"], "path": row["path"], "url": row["url"]}


def _fragment(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "hash": row["hash"],
        "source": row["source"],
        "datetime_utc": row["datetime_utc"],
    }


def _tool(where: str, row: Row, aside: Sequence[str]) -> dict[str, Any]:
    """A tool a model call (``where``) was offered: the columns of ``row``
    but those of ``aside`` (the statement's own), ``input_schema`` parsed."""
    tool = {k: v for k, v in row.items() if k not in aside}
    if "input_schema" in tool:
        tool["input_schema"] = _json(where, "tools.input_schema", tool["input_schema"])
    return tool


def _instance(where: str, row: Row, prefix: str = "") -> dict[str, Any]:
    """A ``tool_instances`` row (its columns ``<prefix>id`` ... in ``row``),
    its constructor ``arguments`` parsed."""
    arguments = _json(where, "tool_instances.arguments", row[f"{prefix}arguments"])
    return {
        "id": row[f"{prefix}id"],
        "plugin": row[f"{prefix}plugin"],
        "name": row[f"{prefix}name"],
        "arguments": arguments,
    }


def _time(where: str, value: Any) -> str:
    """A ``datetime_utc`` of the row at ``where`` as convstore's canonical
    text (llm writes ISO 8601, in UTC; older versions without a zone, which
    is UTC).

    :raises InvalidInput: naming the row, for a value that is not one."""
    try:
        return validation.timestamp("datetime_utc", value)
    except InvalidInput as error:
        raise InvalidInput(f"{where}: {error}") from None


def _json(where: str, column: str, text: Any) -> Any:
    """The value of a JSON column of the row at ``where`` (``None`` for NULL).

    :raises InvalidInput: naming the row and the column, for text that is
        not JSON (NaN and Infinity included: JSON has none)."""
    if text is None:
        return None
    try:
        return _JSON.decode(text)
    except (ValueError, TypeError, RecursionError) as error:
        raise InvalidInput(f"{where}: {column} is not JSON ({error})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_JSON = json.JSONDecoder(parse_constant=_no_constant)


# -- reading the file -------------------------------------------------------------------


class _Alongside:
    """The rows of a statement that returns them in the responses' order
    (:data:`ORDER`), taken response by response: each table is read once,
    beside the responses, as a merge join."""

    def __init__(self, rows: Iterator[Row]) -> None:
        self._rows = rows
        self._next = next(rows, None)

    def of(self, response: Row) -> list[Row]:
        """The rows of ``response``; those of the responses before it that
        were not asked for (a conversation given up) are passed over."""
        key = _order(response)
        taken = []
        while self._next is not None and _order(self._next) <= key:
            if _order(self._next) == key:
                taken.append(self._next)
            self._next = next(self._rows, None)
        return taken


def _order(row: Row) -> tuple[int, str, str]:
    return (row["lone"], row["conversation_key"], row["response_key"])


def _conversation_of(row: Row) -> tuple[int, str]:
    return (row["lone"], row["conversation_key"])


def _statement(name: str) -> Query:
    return catalogue(SQLITE)[f"llm.{name}"]


def _rows(connection: sqlite3.Connection, name: str, **params: Any) -> Iterator[Row]:
    """The rows of statement ``llm.<name>`` with ``params`` one at a time, as
    SQLite steps through them (fetched in chunks, rows holding attachments'
    bytes or long prompts would be held many at once)."""
    query = _statement(name)
    bound = bind(query, params)
    log_statement(query, bound)
    cursor = connection.execute(query.statement, bound)
    columns = [column[0] for column in cursor.description]
    for values in cursor:
        yield dict(zip(columns, values, strict=True))


def _rows_of_parts(connection: sqlite3.Connection, name: str, part_ids: list[int]) -> Iterator[Row]:
    """The rows of statement ``llm.<name>`` for the parts ``part_ids`` (none
    for none, without asking)."""
    return _rows(connection, name, part_ids=json.dumps(part_ids)) if part_ids else iter(())


def _tables(connection: sqlite3.Connection, path: str) -> dict[str, set[str]]:
    """The columns of each table of the file.

    :raises InvalidInput: if it lacks a table or column of :data:`REQUIRED`,
        or has a ``threads`` table and lacks one of :data:`STORE`."""
    tables: dict[str, set[str]] = {}
    for row in run_on_connection(connection, _statement("columns")):
        tables.setdefault(row["table_name"], set()).add(row["column_name"])
    needed = {**REQUIRED, **STORE} if "threads" in tables else REQUIRED
    missing = [
        f"{table}.{column}" if table in tables else f"table {table}"
        for table, columns in needed.items()
        for column in columns
        if column not in tables.get(table, ())
    ]
    if missing:
        raise InvalidInput(
            f"{path} is not a log database of llm (simonw/llm's logs.db, 0.5 or later): "
            f"it lacks {', '.join(dict.fromkeys(missing))}"
        )
    return tables


def _has(tables: Mapping[str, set[str]], needs: Sequence[str]) -> bool:
    """Whether the file has each table (and ``table.column``) of ``needs``."""
    for need in needs:
        table, _, column = need.partition(".")
        if table not in tables or (column and column not in tables[table]):
            return False
    return True


@contextmanager
def _opened(url: DatabaseURL) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the file, its errors translated.

    :raises InvalidInput: if there is no file, or it is not a SQLite database."""
    path = url.sqlite_path
    try:
        is_file = Path(path).is_file()
    except OSError as error:  # a name too long, a path through a file ...
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
    if not is_file:
        raise InvalidInput(f"there is no SQLite database at {path}")
    with SQLiteDatabase.translate_errors(), _not_a_database(path):
        with foreign_connection(url) as connection:
            yield connection


@contextmanager
def _not_a_database(path: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.DatabaseError as error:
        if "not a database" not in str(error):
            raise
        raise InvalidInput(f"{path} is not a SQLite database ({error})") from error
