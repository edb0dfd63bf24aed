"""JSONL export and import: one conversation per line in the OpenAI chat format
(``{"messages": [...]}``, usable as a fine-tuning or evaluation file), with
convstore's ids, seqs, timestamps, token counts and metadata under
``"convstore"`` so that an import restores the conversation exactly. Importing
the same file again changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TextIO

from . import validation
from .chat_format import openai_message
from .errors import InvalidInput
from .store import Store

NIL_UUID = "00000000-0000-0000-0000-000000000000"
PAGE_SIZE = 200


def export_conversations(
    store: Store, user_id: str, out: TextIO, since: datetime | None = None
) -> int:
    """Write ``user_id``'s conversations active since ``since`` to ``out``, one
    JSON object a line; return how many."""
    written = 0
    for conversation in _conversations(store, validation.user_id(user_id), since):
        messages = store.get_messages(conversation["id"], limit=None)
        line = {
            "messages": [openai_message(message) for message in messages],
            "convstore": {
                "conversation": conversation,
                "messages": [_stored_fields(message) for message in messages],
            },
        }
        out.write(json.dumps(line, ensure_ascii=False, default=_timestamp) + "\n")
        written += 1
    return written


def import_conversations(store: Store, lines: Iterable[str]) -> dict[str, int]:
    """Read lines written by :func:`export_conversations` into ``store``; return
    how many conversations and messages were new."""
    imported = {"conversations": 0, "messages": 0}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            conversation = record["convstore"]["conversation"]
            pairs = list(zip(record["messages"], record["convstore"]["messages"], strict=True))
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidInput(f"line {number} is not a convstore export: {error}") from None
        with store.transaction():
            imported["conversations"] += len(_import_conversation(store, conversation))
            for chat, stored in pairs:
                imported["messages"] += len(
                    _import_message(store, conversation["id"], chat, stored)
                )
            store.run("recount_tokens_before", conversation_id=conversation["id"])
            store.run(
                "recount_conversation",
                conversation_id=conversation["id"],
                updated_at=conversation["updated_at"],
            )
    return imported


def _conversations(store: Store, user_id: str, since: datetime | None) -> Iterator[dict[str, Any]]:
    after_id = NIL_UUID
    while True:
        page = store.run(
            "export_conversations",
            user_id=user_id,
            since=since.isoformat() if since else None,
            after_id=after_id,
            limit=PAGE_SIZE,
        )
        yield from page
        if len(page) < PAGE_SIZE:
            return
        after_id = page[-1]["id"]


def _stored_fields(message: dict[str, Any]) -> dict[str, Any]:
    """What the OpenAI format leaves out and an exact import needs."""
    keys = (
        "seq", "name", "tokens", "latency_ms", "pinned", "metadata", "idempotency_key", "created_at",
    )  # fmt: skip
    return {key: message[key] for key in keys}


def _import_conversation(store: Store, conversation: dict[str, Any]) -> list[dict[str, Any]]:
    return store.run(
        "import_conversation",
        id=validation.conversation_id(conversation["id"]),
        user_id=validation.user_id(conversation["user_id"]),
        title=validation.optional_text("title", conversation.get("title"), store.limits),
        metadata=validation.metadata_json("metadata", conversation.get("metadata"), store.limits),
        created_at=conversation["created_at"],
        updated_at=conversation["updated_at"],
    )


def _import_message(
    store: Store, conversation_id: str, chat: dict[str, Any], stored: dict[str, Any]
) -> list[dict[str, Any]]:
    checked = validation.message(
        role=chat["role"],
        content=chat.get("content"),
        tokens=stored.get("tokens"),
        latency_ms=stored.get("latency_ms"),
        metadata=stored.get("metadata"),
        tool_calls=chat.get("tool_calls"),
        tool_call_id=chat.get("tool_call_id"),
        name=stored.get("name", chat.get("name")),
        pinned=stored.get("pinned", False),
        idempotency_key=stored.get("idempotency_key"),
        limits=store.limits,
    )
    return store.run(
        "import_message",
        conversation_id=conversation_id,
        seq=validation.count("seq", stored["seq"], minimum=1),
        created_at=stored["created_at"],
        **checked,
    )


def _timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
