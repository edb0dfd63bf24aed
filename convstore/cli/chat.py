"""``convstore chat``: an interactive terminal chat on the configured database,
streaming replies, with a few slash commands."""

from __future__ import annotations

import json
from typing import TextIO

from ..agent import ModelError, PersistentAgent
from ..store.store import Store
from .output import print_rows

HELP = """Commands: /history  /new  /list  /stats  /help  /quit (or end of input)"""


def run_chat(
    store: Store, agent: PersistentAgent, user_id: str, conversation_id: str | None, out: TextIO
) -> None:
    conversation_id = conversation_id or agent.start_conversation(user_id)
    print(f"Conversation {conversation_id} for {user_id} on {store.dialect}. {HELP}", file=out)
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            print(file=out)
            return
        if not line:
            continue
        if line == "/quit":
            return
        if line == "/new":
            conversation_id = agent.start_conversation(user_id)
            print(f"Started conversation {conversation_id}.", file=out)
        elif line == "/history":
            for message in agent.get_history(conversation_id):
                text = (
                    message["content"]
                    if message["content"] is not None
                    else json.dumps(message["tool_calls"])
                )
                print(f"  #{message['seq']} {message['role']}: {text}", file=out)
        elif line == "/list":
            print_rows(
                [
                    {
                        "id": c["id"],
                        "title": c["title"],
                        "messages": c["message_count"],
                        "updated_at": c["updated_at"],
                    }
                    for c in store.list_conversations(user_id)
                ],
                "table",
                out,
            )
        elif line == "/stats":
            print(json.dumps(store.get_conversation_stats(conversation_id), default=str), file=out)
        elif line.startswith("/"):
            print(HELP, file=out)
        else:
            _reply(agent, conversation_id, line, out)


def _reply(agent: PersistentAgent, conversation_id: str, text: str, out: TextIO) -> None:
    print("assistant> ", end="", file=out, flush=True)
    try:
        for piece in agent.chat_stream(conversation_id, text):
            print(piece, end="", file=out, flush=True)
    except ModelError as error:
        print(f"\n[{error}; your message is saved, send it again to retry]", file=out)
        return
    print(file=out)
