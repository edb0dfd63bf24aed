"""Stored messages in the OpenAI chat completions format."""

from __future__ import annotations

from typing import Any


def openai_message(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as the API takes it (a tool message carries no ``name``)."""
    sent: dict[str, Any] = {"role": message["role"], "content": message["content"]}
    if message["tool_calls"]:
        sent["tool_calls"] = message["tool_calls"]
    if message["role"] == "tool":
        sent["tool_call_id"] = message["tool_call_id"]
    elif message["name"]:
        sent["name"] = message["name"]
    return sent
