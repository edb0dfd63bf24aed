"""Reading ``logs.db``, the SQLite database that simonw/llm's ``llm`` command
logs every prompt and response to (``llm logs path`` prints where), as
conversations to import (:mod:`convstore.transfer.importing`).

The tables and columns are those of llm's documentation ("Logging to SQLite",
its SQL schema; llm/migrations.py creates them): the ``responses`` table and
the rows that hang off a response, as llm 0.5 to 0.31 write them. Older files
lack later tables and columns (attachments come with llm 0.17, token counts
0.19, schemas 0.23, fragments 0.24, tools 0.26, ``resolved_model`` 0.27): what
the file has is read, the rest is absent from the messages. Only a file
without the tables ``conversations`` and ``responses`` and their columns of
llm 0.5 is refused. llm 0.32 and later log to other tables (``threads``,
``turns``, ``messages``, ``parts``; llm's docs, "The message store"), which
this reader does not read: a :class:`SourceProblem` at the end says how many
model calls it left. The file is opened read-only and read as a stream: each
table once, in the order of conversations (:func:`read_llm_logs`); one
conversation is held in memory at a time.

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

Where each column of ``logs.db`` goes (``extra["llm"]`` of a message is a
JSON object with the response's other values; JSON columns are parsed,
each under the column's name):

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

Not read: ``responses_fts`` (an index of the prompts and responses),
``fragment_aliases`` (names for fragments, not part of a conversation),
``_llm_migrations``, the ``log`` table of llm before 0.5, and the tables of
llm 0.32 and later. A conversation without responses holds nothing but a
name, and is not read.

A conversation with a value that cannot be read -- a ``datetime_utc`` that is
not an ISO 8601 time, text in a JSON column that is not JSON -- is a
:class:`SourceProblem` naming the response and the column; the next
conversation is read as usual. Every other value is checked by the import
(:meth:`convstore.Store.import_conversation`), as every source's: a
response whose ``prompt_json`` or ``response_json`` (llm keeps a long prompt in
both) is over the store's ``Limits.max_json_bytes`` (1 MB by default) is
refused there, with its conversation; a larger limit takes it.
"""

from __future__ import annotations

import base64
import itertools
import json
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Any

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

RELATED: dict[str, tuple[str, ...]] = {
    "prompt_attachments": ("prompt_attachments", "attachments"),
    "fragments": ("fragments", "prompt_fragments", "system_fragments"),
    "schemas": ("schemas", "responses.schema_id"),
    "tools": ("tools", "tool_responses"),
    "tool_calls": ("tool_calls",),
    "tool_results": ("tool_results",),
    "tool_instances": ("tool_instances", "tool_results.instance_id"),
    "tool_result_attachments": ("tool_results_attachments", "tool_results"),
}
"""The statements (``llm.<name>``) of the rows that hang off a response, each
with the tables (and ``table.column``) it reads: one the file lacks is not run."""

ANSWER_COLUMNS = ("model", "resolved_model", "input_tokens", "schema_id", "reasoning")
"""The columns of a response kept as they are in its assistant message's ``extra["llm"]``."""

ANSWER_JSON_COLUMNS = ("options_json", "prompt_json", "response_json", "token_details")
"""The JSON columns of a response kept parsed in its assistant message's ``extra["llm"]``."""

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

Row = dict[str, Any]


def read_llm_logs(path: str | Path) -> Iterator[SourceConversation | SourceProblem]:
    """Each conversation of the ``logs.db`` at ``path`` (read-only, never
    changed), as the module docstring lays it out, in the order of llm's
    conversation ids, then the responses without a conversation. ``where``
    is ``"conversation <llm id>"`` (``"response <llm id>"`` for a response
    without one); a message's place in it names its response and what it is
    (``"response 01j... prompt"``). Conversations carry no ``user_id``: the
    import gives them the user it is told to. The last entry is a
    :class:`SourceProblem` at ``"turns"`` when the file holds model calls of
    llm 0.32 or later, which are not read.

    Nothing is opened until the iterator is advanced; the file is closed
    when it is exhausted or closed.

    :raises InvalidInput: if there is no file at ``path``, it is not a SQLite
        database, or it lacks the tables or columns of :data:`REQUIRED`
        (naming them).
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
        responses = _rows(connection, "responses")
        for (lone, key), group in itertools.groupby(responses, key=_conversation_of):
            yield _conversation(bool(lone), key, group, related)
        if "turns" in tables:
            unread = run_on_connection(connection, _statement("unread_turns"))[0]["turns"]
            if unread:
                yield SourceProblem(
                    "turns",
                    "not read: the model calls llm 0.32 or later logged to its tables threads, "
                    f"turns, messages and parts (turns: {unread}); convstore reads the "
                    "responses tables of llm 0.5 to 0.31",
                )


def conversation_id(llm_conversation_id: str) -> str:
    """The convstore id of an llm conversation: ``uuid5(LLM_NAMESPACE, id)``."""
    return str(uuid.uuid5(LLM_NAMESPACE, llm_conversation_id))


def lone_response_conversation_id(response_id: str) -> str:
    """The convstore id of the conversation of a response without one:
    ``uuid5(LLM_NAMESPACE, "response:" + id)`` (no ULID holds a colon)."""
    return str(uuid.uuid5(LLM_NAMESPACE, f"response:{response_id}"))


# -- one conversation -------------------------------------------------------------------


def _conversation(
    lone: bool, key: str, responses: Iterator[Row], related: Mapping[str, _Alongside]
) -> SourceConversation | SourceProblem:
    """The conversation of ``responses`` (all of one llm conversation, or one
    lone response), or the problem of the first value that cannot be read."""
    where = f"response {key}" if lone else f"conversation {key}"
    first = next(responses)  # a group of groupby is never empty
    built = _Conversation()
    try:
        for response in itertools.chain([first], responses):
            built.add(response, {name: rows.of(response) for name, rows in related.items()})
    except InvalidInput as error:
        return SourceProblem(where, str(error))
    if lone:
        identity = {"id": lone_response_conversation_id(key), "title": None}
        llm: dict[str, Any] = {"conversation_id": None}
    else:
        identity = {"id": conversation_id(key), "title": first["conversation_name"]}
        llm = {"conversation_id": key, "model": first["conversation_model"]}
    conversation = {
        **identity,
        "extra": {"llm": llm},
        "created_at": min(built.times),
        "updated_at": max(built.times),
    }
    return SourceConversation(where, conversation, built.messages)


class _Conversation:
    """The messages of one conversation, as its responses are read in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        """(place, ImportedMessage), seq 1, 2, 3 ..."""
        self.times: list[str] = []
        """Each response's time, canonical."""
        self.system: str | None = None
        """The system prompt in effect."""
        self.unanswered: list[tuple[str, str]] = []
        """(name, id given) of the last response's tool calls that had no id
        of their own, for its tool results without one (:meth:`_call_id`)."""

    def add(self, response: Row, related: Mapping[str, list[Row]]) -> None:
        """Add the messages of ``response``, whose other rows are ``related``
        (by statement name).

        :raises InvalidInput: for a time or JSON value that cannot be read,
            naming the response and the column.
        """
        response_id = response["response_key"]
        created_at = _time(response_id, response["datetime_utc"])
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
        self.times.append(created_at)
        for place, message in said:
            seq = len(self.messages) + 1
            message.update(seq=seq, created_at=created_at)
            self.messages.append((f"response {response_id} {place}", message))

    def _tool_results(
        self, response_id: str, related: Mapping[str, list[Row]]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """A tool message for each tool result the response's prompt sent, with its place."""
        instances = {row["tool_result_id"]: row for row in related["tool_instances"]}
        attachments = related["tool_result_attachments"]
        for result in related["tool_results"]:
            tool_result = {
                k: v for k, v in result.items() if k not in (*ORDER, "response_id", "output")
            }
            llm: dict[str, Any] = {"response_id": response_id, "tool_result": tool_result}
            instance = instances.get(result["id"])
            if instance is not None:
                llm["instance"] = _instance(response_id, instance)
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
    llm: dict[str, Any] = {"response_id": response_id}
    llm.update((column, response[column]) for column in ANSWER_COLUMNS if column in response)
    for column in ANSWER_JSON_COLUMNS:
        if column in response:
            llm[column] = _json(response_id, column, response[column])
    for schema in related["schemas"]:
        llm["schema"] = _json(response_id, "schemas.content", schema["content"])
    if related["tools"]:
        llm["tools"] = [_tool(response_id, tool) for tool in related["tools"]]
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


def _tool(response_id: str, row: Row) -> dict[str, Any]:
    tool = {k: v for k, v in row.items() if k not in ORDER}
    if "input_schema" in tool:
        tool["input_schema"] = _json(response_id, "tools.input_schema", tool["input_schema"])
    return tool


def _instance(response_id: str, row: Row) -> dict[str, Any]:
    arguments = _json(response_id, "tool_instances.arguments", row["arguments"])
    return {"id": row["id"], "plugin": row["plugin"], "name": row["name"], "arguments": arguments}


def _time(response_id: str, value: Any) -> str:
    """``datetime_utc`` as convstore's canonical text (llm writes ISO 8601,
    in UTC; older versions without a zone, which is UTC).

    :raises InvalidInput: naming the response, for a value that is not one."""
    try:
        return validation.timestamp("datetime_utc", value)
    except InvalidInput as error:
        raise InvalidInput(f"response {response_id}: {error}") from None


def _json(response_id: str, column: str, text: Any) -> Any:
    """The value of a JSON column (``None`` for NULL).

    :raises InvalidInput: naming the response and the column, for text that
        is not JSON (NaN and Infinity included: JSON has none)."""
    if text is None:
        return None
    try:
        return _JSON.decode(text)
    except (ValueError, TypeError, RecursionError) as error:
        raise InvalidInput(f"response {response_id}: {column} is not JSON ({error})") from None


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


def _rows(connection: sqlite3.Connection, name: str) -> Iterator[Row]:
    """The rows of statement ``llm.<name>`` one at a time, as SQLite steps
    through them (fetched in chunks, rows holding attachments' bytes or long
    prompts would be held many at once)."""
    query = _statement(name)
    bound = bind(query, {})
    log_statement(query, bound)
    cursor = connection.execute(query.statement, bound)
    columns = [column[0] for column in cursor.description]
    for values in cursor:
        yield dict(zip(columns, values, strict=True))


def _tables(connection: sqlite3.Connection, path: str) -> dict[str, set[str]]:
    """The columns of each table of the file.

    :raises InvalidInput: if it lacks a table or column of :data:`REQUIRED`."""
    tables: dict[str, set[str]] = {}
    for row in run_on_connection(connection, _statement("columns")):
        tables.setdefault(row["table_name"], set()).add(row["column_name"])
    missing = [
        f"{table}.{column}" if table in tables else f"table {table}"
        for table, columns in REQUIRED.items()
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
