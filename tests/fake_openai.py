"""A small OpenAI-compatible HTTP server on 127.0.0.1 for the agent tests: it
records each request body and answers with scripted replies (text, tool calls,
refusals, a message as given, streamed chunks, errors or silence).

Like the real API it refuses (HTTP 400, ``invalid_request_error``) a history
that breaks the tool-call rules or the message schema of the OpenAI Chat
Completions API (see :func:`history_errors`), and, when told to, ``stream_options`` as some
compatible servers do.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai

from convstore.agent import PersistentAgent

SYSTEM = "You are terse."
"""The system prompt of the agents the tests build."""


def client_for(server: FakeOpenAI) -> openai.OpenAI:
    """The real OpenAI client, talking HTTP to ``server``, without retries."""
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0, timeout=5)


def agent_for(store: Any, client: openai.OpenAI, **options: Any) -> PersistentAgent:
    """A persistent agent on ``store`` with the test model and :data:`SYSTEM`."""
    return PersistentAgent(
        store, client=client, model="fake-model", system_prompt=SYSTEM, **options
    )


def text_reply(content: str, prompt_tokens: int = 50, completion_tokens: int = 7) -> dict:
    return {"kind": "text", "content": content, "usage": (prompt_tokens, completion_tokens)}


def tool_call_reply(*calls: tuple[str, str, dict]) -> dict:
    """Calls as (id, tool name, arguments)."""
    return {"kind": "tool_calls", "calls": calls, "usage": (60, 12)}


def refusal_reply(refusal: str) -> dict:
    """A refusal: content null and the refusal's text (streamed as ``refusal`` deltas)."""
    return {"kind": "refusal", "refusal": refusal, "content": None, "usage": (40, 9)}


def raw_reply(message: dict[str, Any]) -> dict:
    """``message`` as the reply's ``choices[0].message``, as given (not streamed)."""
    return {"kind": "raw", "message": message, "usage": (40, 9)}


def error_reply(status: int) -> dict:
    return {"kind": "error", "status": status}


def silence(seconds: float) -> dict:
    return {"kind": "silence", "seconds": seconds}


STREAM_OPTIONS_UNKNOWN = (400, "Unrecognized request argument supplied: stream_options")
"""How OpenAI-style servers refuse a parameter they do not know."""
EXTRA_INPUTS = (422, "Extra inputs are not permitted")
"""How a server validating with pydantic refuses one, without naming it."""

MESSAGE_KEYS = {
    "system": {"role", "content", "name"},
    "developer": {"role", "content", "name"},
    "user": {"role", "content", "name"},
    "assistant": {"role", "content", "name", "tool_calls", "refusal", "audio", "function_call"},
    "tool": {"role", "content", "tool_call_id"},
    "function": {"role", "content", "name"},
}
"""The properties each role's message may have in the API's schema (others
are refused: openai/openai-node#1161)."""
NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
"""The pattern the API requires of a message's ``name``."""
PART_TYPES = {
    "system": {"text"},
    "developer": {"text"},
    "user": {"text", "image_url", "input_audio", "file"},
    "assistant": {"text", "refusal"},
    "tool": {"text"},
}
"""The content parts each role's message may hold in the API's schema."""


def history_errors(body: dict[str, Any]) -> list[str]:
    """Why the real API would refuse ``body`` with a 400, in its words (none:
    it is valid). The rules, from the OpenAI Chat Completions API reference
    and function-calling guide: an assistant message with ``tool_calls`` must
    be followed by tool messages answering each ``tool_call_id`` before any
    other message; a tool message must answer a call of the assistant message
    before its run of tool messages; content is a string, or a non-empty array
    of the parts its role takes (:data:`PART_TYPES`; a ``function`` message
    takes a string or ``null``, and needs its ``name``), ``null`` only for an
    assistant message with tool calls or a function call; ``stream_options``
    only with ``stream``.
    And from the API's schema of a message: only the properties of its role
    (:data:`MESSAGE_KEYS`), a ``name`` matching :data:`NAME`, ``tool_calls`` a
    non-empty array of calls each with exactly a non-empty string ``id``,
    ``"type": "function"`` and a ``function`` of string ``name`` and
    ``arguments``."""
    errors: list[str] = []
    pending: list[str] = []
    caller: int | None = None
    for index, message in enumerate(body.get("messages", [])):
        role = message.get("role")
        errors.extend(_schema_errors(index, message))
        if not _content_accepted(message):
            errors.append(f"Invalid type for 'messages[{index}].content': expected a string")
        if role == "tool":
            if caller is None or message.get("tool_call_id") not in pending:
                errors.append(
                    f"Invalid parameter: messages[{index}] with role 'tool' must be a response "
                    "to a preceeding message with 'tool_calls'."
                )
            else:
                pending.remove(message["tool_call_id"])
            continue
        if pending:
            errors.append(
                f"An assistant message with 'tool_calls' (messages[{caller}]) must be followed by "
                "tool messages responding to each 'tool_call_id'. The following tool_call_ids "
                f"did not have response messages: {', '.join(pending)}"
            )
        calls = message.get("tool_calls") if role == "assistant" else None
        caller = index if calls else None
        pending = [call.get("id") for call in calls or [] if isinstance(call, dict)]
    if pending:
        errors.append(
            f"An assistant message with 'tool_calls' (messages[{caller}]) must be followed by "
            "tool messages responding to each 'tool_call_id'. The following tool_call_ids "
            f"did not have response messages: {', '.join(pending)}"
        )
    if "stream_options" in body and not body.get("stream"):
        errors.append("The 'stream_options' parameter is only allowed when 'stream' is enabled.")
    return errors


def _content_accepted(message: dict[str, Any]) -> bool:
    role, content = message.get("role"), message.get("content")
    if isinstance(content, str):
        return True
    if content is None:
        calls = message.get("tool_calls") or message.get("function_call")
        return role == "function" or (role == "assistant" and bool(calls))
    return (
        isinstance(content, list)
        and bool(content)
        and all(
            isinstance(part, dict) and part.get("type") in PART_TYPES.get(role, ())
            for part in content
        )
    )


def _schema_errors(index: int, message: dict[str, Any]) -> list[str]:
    where = f"messages[{index}]"
    unexpected = sorted(set(message) - MESSAGE_KEYS.get(message.get("role"), set()))
    errors: list[str] = []
    if unexpected:
        errors.append(f"Additional properties are not allowed ({unexpected}) - '{where}'")
    if message.get("role") == "function" and "name" not in message:
        errors.append(f"Missing required parameter: '{where}.name'.")
    if "name" in message and not (isinstance(message["name"], str) and NAME.match(message["name"])):
        errors.append(
            f"Invalid '{where}.name': string does not match pattern. Expected a string "
            f"that matches the pattern '{NAME.pattern}'."
        )
    if "tool_calls" not in message:
        return errors
    calls = message["tool_calls"]
    if not isinstance(calls, list) or not calls:
        errors.append(f"Invalid '{where}.tool_calls': empty array. Expected a non-empty array.")
        return errors
    for position, call in enumerate(calls):
        at = f"{where}.tool_calls[{position}]"
        if not isinstance(call, dict) or set(call) != {"id", "type", "function"}:
            errors.append(f"Invalid '{at}': expected exactly id, type and function")
            continue
        if not isinstance(call["id"], str) or not call["id"]:
            errors.append(f"Invalid '{at}.id': empty string. Expected a non-empty string.")
        if call["type"] != "function":
            errors.append(f"Invalid value for '{at}.type': expected 'function'")
        function = call["function"]
        if (
            not isinstance(function, dict)
            or set(function) != {"name", "arguments"}
            or not all(isinstance(value, str) for value in function.values())
        ):
            errors.append(f"Invalid '{at}.function': expected exactly a string name and arguments")
    return errors


class FakeOpenAI:
    """Serves scripted replies in order; ``requests`` holds every request body,
    ``api_keys`` the bearer token each was sent with, ``refused`` the error
    message of every request refused as invalid (such a request takes no
    scripted reply).

    ``validate`` (default true) refuses histories as the real API does
    (:func:`history_errors`); ``refuse_stream_options`` is a ``(status,
    message)`` with which to refuse any request carrying ``stream_options``.
    """

    def __init__(
        self, validate: bool = True, refuse_stream_options: tuple[int, str] | None = None
    ) -> None:
        self.script: deque[dict] = deque()
        self.requests: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.api_keys: list[str] = []
        self.validate = validate
        self.refuse_stream_options = refuse_stream_options
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                fake.api_keys.append(self.headers.get("Authorization", "").removeprefix("Bearer "))
                errors = history_errors(body) if fake.validate else []
                if fake.refuse_stream_options and "stream_options" in body:
                    status, message = fake.refuse_stream_options
                    self._refuse(status, message, None)
                    return
                if errors:
                    self._refuse(400, errors[0], "messages")
                    return
                reply = fake.script.popleft() if fake.script else text_reply("(no script)")
                if reply["kind"] == "silence":
                    time.sleep(reply["seconds"])
                    reply = text_reply("late")
                if reply["kind"] == "raw":
                    self._send(200, _completion(body, reply))
                elif reply["kind"] == "error":
                    self._send(
                        reply["status"],
                        {"error": {"message": "scripted failure", "type": "server_error"}},
                    )
                elif body.get("stream"):
                    self._stream(body, reply)
                else:
                    self._send(200, _completion(body, reply))

            def _refuse(self, status: int, message: str, param: str | None) -> None:
                fake.refused.append(message)
                error = {"message": message, "type": "invalid_request_error", "param": param}
                self._send(status, {"error": {**error, "code": None}})

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict, reply: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                field = "refusal" if reply["kind"] == "refusal" else "content"
                words = reply[field].split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
                for piece in pieces:
                    self._event(_chunk(body, {field: piece}))
                self._event(_chunk(body, {}, finish="stop"))
                if body.get("stream_options", {}).get("include_usage"):
                    usage_chunk = _chunk(body, None)
                    usage_chunk["usage"] = _usage(reply)
                    self._event(usage_chunk)
                self.wfile.write(b"data: [DONE]\n\n")

            def _event(self, payload: dict) -> None:
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        # shutdown() waits for serve_forever's next poll: 0.5 s by default, per test.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _usage(reply: dict) -> dict:
    prompt, completion = reply["usage"]
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(body: dict, reply: dict) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
    finish = "stop"
    if reply["kind"] == "raw":
        message = reply["message"]
    if reply["kind"] == "refusal":
        message["refusal"] = reply["refusal"]
    if reply["kind"] == "tool_calls":
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for call_id, name, arguments in reply["calls"]
        ]
        finish = "tool_calls"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": _usage(reply),
    }


def _chunk(body: dict, delta: dict | None, finish: str | None = None) -> dict:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body["model"],
        "choices": choices,
    }
