"""A small OpenAI-compatible HTTP server on 127.0.0.1 for the agent tests: it
records each request body and answers with scripted replies (text, tool calls,
streamed chunks, errors or silence)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def text_reply(content: str, prompt_tokens: int = 50, completion_tokens: int = 7) -> dict:
    return {"kind": "text", "content": content, "usage": (prompt_tokens, completion_tokens)}


def tool_call_reply(*calls: tuple[str, str, dict]) -> dict:
    """Calls as (id, tool name, arguments)."""
    return {"kind": "tool_calls", "calls": calls, "usage": (60, 12)}


def error_reply(status: int) -> dict:
    return {"kind": "error", "status": status}


def silence(seconds: float) -> dict:
    return {"kind": "silence", "seconds": seconds}


class FakeOpenAI:
    """Serves scripted replies in order; ``requests`` holds every request body."""

    def __init__(self) -> None:
        self.script: deque[dict] = deque()
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                reply = fake.script.popleft() if fake.script else text_reply("(no script)")
                if reply["kind"] == "silence":
                    time.sleep(reply["seconds"])
                    reply = text_reply("late")
                if reply["kind"] == "error":
                    self._send(reply["status"], {"error": {"message": "scripted failure",
                                                           "type": "server_error"}})  # fmt: skip
                elif body.get("stream"):
                    self._stream(body, reply)
                else:
                    self._send(200, _completion(body, reply))

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
                words = reply["content"].split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
                for piece in pieces:
                    self._event(_chunk(body, {"content": piece}))
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
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _usage(reply: dict) -> dict:
    prompt, completion = reply["usage"]
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}  # fmt: skip


def _completion(body: dict, reply: dict) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
    finish = "stop"
    if reply["kind"] == "tool_calls":
        message["tool_calls"] = [
            {"id": call_id, "type": "function",
             "function": {"name": name, "arguments": json.dumps(arguments)}}
            for call_id, name, arguments in reply["calls"]
        ]  # fmt: skip
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
