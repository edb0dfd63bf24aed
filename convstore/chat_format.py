"""Stored messages in the OpenAI chat completions format, and the rules that
make a list of them a history the API accepts."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

UNANSWERED_TOOL_CALL = "the tool call did not complete: no result was stored"
"""What the model is told about a tool call that has no stored result."""


def openai_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A stored message as the API takes it (a tool message carries no ``name``)."""
    sent: dict[str, Any] = {"role": message["role"], "content": message["content"]}
    if message["tool_calls"]:
        sent["tool_calls"] = message["tool_calls"]
    if message["role"] == "tool":
        sent["tool_call_id"] = message["tool_call_id"]
    elif message["name"]:
        sent["name"] = message["name"]
    return sent


def unanswered_result(reason: str = UNANSWERED_TOOL_CALL) -> str:
    """The content of a tool message that answers a call which did not
    complete: a JSON object ``{"error": reason}``, the shape the agent gives
    any failed tool."""
    return json.dumps({"error": reason})


def call_ids(message: Mapping[str, Any]) -> list[str]:
    """The ids of an assistant message's tool calls, in order (calls without a
    string id, which no tool message could answer, are left out)."""
    calls = message.get("tool_calls") or []
    return [call["id"] for call in calls if isinstance(call, Mapping) and _is_id(call.get("id"))]


def call_name(message: Mapping[str, Any], call_id: str) -> str | None:
    """The function name of the tool call ``call_id`` of an assistant message."""
    for call in message.get("tool_calls") or []:
        if isinstance(call, Mapping) and call.get("id") == call_id:
            function = call.get("function")
            name = function.get("name") if isinstance(function, Mapping) else None
            return name if isinstance(name, str) else None
    return None


class History(NamedTuple):
    """A history ready to send: ``messages`` in the API format, and ``sent``,
    the stored messages among them (left-out ones are not)."""

    messages: list[dict[str, Any]]
    sent: list[Mapping[str, Any]]


def valid_history(stored: Sequence[Mapping[str, Any]]) -> History:
    """Stored messages (oldest first) as a history the chat completions API
    accepts, whatever was stored.

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
    """
    messages: list[dict[str, Any]] = []
    sent: list[Mapping[str, Any]] = []
    pending: list[str] = []  # calls of the open group, not yet answered
    for message in stored:
        if message["role"] == "tool":
            if message["tool_call_id"] in pending:
                pending.remove(message["tool_call_id"])
                messages.append(openai_message(message))
                sent.append(message)
            continue
        _close_group(pending, messages)
        messages.append(openai_message(message))
        sent.append(message)
        pending = list(dict.fromkeys(call_ids(message))) if message["role"] == "assistant" else []
    _close_group(pending, messages)
    return History(messages, sent)


def _close_group(pending: list[str], messages: list[dict[str, Any]]) -> None:
    """Answer the calls of the group still ``pending`` as not completed."""
    for call_id in pending:
        messages.append({"role": "tool", "content": unanswered_result(), "tool_call_id": call_id})


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and bool(value)
