"""Stored messages in the OpenAI chat completions format, and the rules that
make a list of them a history the API accepts. Only chat messages have a
place in it (:func:`is_chat_message`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..validation import CHAT_MESSAGE, parts_text, tool_call_problem

UNANSWERED_TOOL_CALL = "the tool call did not complete: no result was stored"
"""What the model is told about a tool call that has no stored result."""

SENT_PART_TYPES = {
    "system": frozenset({"text"}),
    "developer": frozenset({"text"}),
    "user": frozenset({"text", "image_url", "input_audio", "file"}),
    "assistant": frozenset({"text", "refusal"}),
    "tool": frozenset({"text"}),
}
"""The content parts the Chat Completions API takes in a message of each role
(its API reference, the ``messages`` parameter); a ``function`` message takes
text only."""

NAME_PATTERN = re.compile(r"[a-zA-Z0-9_-]+")
"""The ``name`` of a message the Chat Completions API accepts (it refuses
others with a 400: ``'messages.1.name' does not match '^[a-zA-Z0-9_-]+$'``)."""


def is_chat_message(message: Mapping[str, Any]) -> bool:
    """Whether a stored message is a chat message (``kind`` ``"message"``), not
    an item of another kind (a reasoning item, a Responses-API function call
    ...), which the Chat Completions API and its fine-tuning files have no
    place for."""
    return bool(message["kind"] == CHAT_MESSAGE)


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a stored message: its content, or the text of its text and
    refusal parts (a line break between), as search indexes it; ``""`` for
    none."""
    content = message["content"]
    if isinstance(content, list):
        return parts_text(content) or ""
    return content or ""


def openai_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A stored message as the API takes it, whatever was stored (the stored
    message is not changed):

    - its content as stored, text or parts, but only the parts its role takes
      (:data:`SENT_PART_TYPES`; none left, or none given: as no content); a
      ``function`` message's parts as their text;
    - an assistant message carries its :func:`sent_calls` (none for other
      roles), its legacy ``function_call`` and its ``refusal`` if it has
      them, and content ``""`` when it has neither content nor a call;
    - a tool message carries its ``tool_call_id`` and no ``name``;
    - a ``function`` message carries its ``name`` (the function's, which the
      API requires); another message only when the API accepts it
      (:data:`NAME_PATTERN`): ``"Ana María"`` is left out, not rewritten,
      so no two people are ever sent under one made-up name.

    A fine-tuning ``weight`` and the ``extra`` fields are not sent: the API
    has no place for them.
    """
    sent: dict[str, Any] = {"role": message["role"], "content": _sent_content(message)}
    calls = sent_calls(message) if message["role"] == "assistant" else []
    if calls:
        sent["tool_calls"] = calls
    if message["role"] == "assistant":
        sent.update(
            (field, message[field])
            for field in ("function_call", "refusal")
            if message.get(field) is not None
        )
    if sent["content"] is None and not (calls or "function_call" in sent):
        sent["content"] = ""
    if message["role"] == "tool":
        sent["tool_call_id"] = message["tool_call_id"]
    elif message["role"] == "function" or (
        isinstance(message["name"], str) and NAME_PATTERN.fullmatch(message["name"])
    ):
        sent["name"] = message["name"]
    return sent


def _sent_content(message: Mapping[str, Any]) -> str | list[dict[str, Any]] | None:
    content = message["content"]
    if not isinstance(content, list):
        return content  # type: ignore[no-any-return]
    if message["role"] == "function":
        return message_text(message)
    taken = SENT_PART_TYPES.get(message["role"], frozenset())
    return [part for part in content if part["type"] in taken] or None


def sent_calls(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tool calls of a stored message as they are sent: only calls the API
    accepts (:func:`convstore.validation.tool_call_problem`; calls stored
    before convstore checked them may not be), only the first call of an id
    that repeats (each sent call gets exactly one answer), and of each only
    ``id``, ``type`` and ``function`` with ``name`` and ``arguments`` (``"{}"``
    when absent): keys a server added, such as ``index``, are not sent back."""
    calls: dict[str, dict[str, Any]] = {}
    for call in message.get("tool_calls") or []:
        if tool_call_problem(call) is not None or call["id"] in calls:
            continue
        function = call["function"]
        calls[call["id"]] = {
            "id": call["id"],
            "type": "function",
            "function": {"name": function["name"], "arguments": function.get("arguments", "{}")},
        }
    return list(calls.values())


def unanswered_result(reason: str = UNANSWERED_TOOL_CALL) -> str:
    """The content of a tool message that answers a call which did not
    complete: a JSON object ``{"error": reason}``, the shape the agent gives
    any failed tool."""
    return json.dumps({"error": reason})


def call_ids(message: Mapping[str, Any]) -> list[str]:
    """The ids of the tool calls of a stored message that are sent
    (:func:`sent_calls`), in order: the calls a result must answer."""
    return [call["id"] for call in sent_calls(message)]


def call_name(message: Mapping[str, Any], call_id: str) -> str | None:
    """The function name of the tool call ``call_id`` of an assistant message."""
    for call in sent_calls(message):
        if call["id"] == call_id:
            return call["function"]["name"]
    return None


class History(NamedTuple):
    """A history ready to send: ``messages`` in the API format, and ``sent``,
    the stored messages among them (left-out ones are not)."""

    messages: list[dict[str, Any]]
    sent: list[Mapping[str, Any]]


def valid_history(stored: Sequence[Mapping[str, Any]]) -> History:
    """Stored messages (oldest first) as a history the chat completions API
    accepts, whatever was stored.

    Items of another kind (:func:`is_chat_message`) are left out, as if they
    were not stored: the API has no place for them, and one stored between a
    tool call and its results does not separate them.

    The rules, from the OpenAI Chat Completions API reference (the
    ``messages`` parameter and the function-calling guide): an assistant
    message with ``tool_calls`` must be followed by tool messages answering
    each ``tool_call_id`` before the next message of another role (else: 400
    "An assistant message with 'tool_calls' must be followed by tool messages
    responding to each 'tool_call_id'"); a tool message must answer a call of
    the assistant message before its group (else: 400 "messages with role
    'tool' must be a response to a preceding message with 'tool_calls'").

    So a call without a stored answer (the tool was interrupted, the process
    died, the result could not be stored, or the token budget cut between
    them) gets a tool message ``{"error": UNANSWERED_TOOL_CALL}`` after the
    stored answers of its group; a tool message answering no call of the
    assistant message before it (a context that starts on a tool message, a
    repeated answer, an answer stored after another message) is left out.
    Each message is sent as :func:`openai_message` makes it: malformed or
    repeated calls, server-added keys and names the API refuses are left out
    of what is sent, so a call left out needs no answer and gets none.
    """
    messages: list[dict[str, Any]] = []
    sent: list[Mapping[str, Any]] = []
    pending: list[str] = []  # calls of the open group, not yet answered
    for message in stored:
        if not is_chat_message(message):
            continue
        if message["role"] == "tool":
            if message["tool_call_id"] in pending:
                pending.remove(message["tool_call_id"])
                messages.append(openai_message(message))
                sent.append(message)
            continue
        _close_group(pending, messages)
        messages.append(openai_message(message))
        sent.append(message)
        pending = call_ids(message) if message["role"] == "assistant" else []
    _close_group(pending, messages)
    return History(messages, sent)


def _close_group(pending: list[str], messages: list[dict[str, Any]]) -> None:
    """Answer the calls of the group still ``pending`` as not completed."""
    for call_id in pending:
        messages.append({"role": "tool", "content": unanswered_result(), "tool_call_id": call_id})
