"""``make bench-import``: ``convstore import`` of OpenAI chat fine-tuning JSONL
and of a ChatGPT data export, 10,000 and 100,000 conversations into each
database: conversations a second and peak memory. Writes
``bench/import-results.md``.

Each import is the real command in a child process, so its time is what a
user waits and its peak memory its own. The files are made here: six
messages of 60 to 400 characters a conversation; in the ChatGPT export one
conversation in ten has an edited message (a second branch).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import convstore
from bench.run import scratch_postgres

CONVSTORE = str(Path(sys.executable).parent / "convstore")
WORDS = "the a tile museum opens at ten lisbon trip river boat ticket price station".split()
RESULTS = Path(__file__).parent / "import-results.md"


def text(chance: random.Random) -> str:
    return " ".join(chance.choices(WORDS, k=chance.randint(12, 80)))


def write_openai_jsonl(path: Path, conversations: int) -> None:
    chance = random.Random(16)
    with path.open("w", encoding="utf-8") as out:
        for number in range(conversations):
            messages = [{"role": "system", "content": f"You are assistant {number}."}]
            for _ in range(3):
                messages.append({"role": "user", "content": text(chance)})
                messages.append({"role": "assistant", "content": text(chance), "weight": 1})
            out.write(json.dumps({"messages": messages[:6]}) + "\n")


def write_chatgpt_export(path: Path, conversations: int) -> None:
    """A ``conversations.json`` of the export's shape: each conversation a
    ``mapping`` tree from a message-less root node."""
    chance = random.Random(16)
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for number in range(conversations):
            out.write("," if number else "")
            out.write(json.dumps(_chatgpt_conversation(chance, number)))
        out.write("]")


def _chatgpt_conversation(chance: random.Random, number: int) -> dict:
    started = 1_700_000_000 + number * 60.5
    root = str(uuid.UUID(int=chance.getrandbits(128)))
    mapping = {root: {"id": root, "message": None, "parent": None, "children": []}}
    parent, node = root, root
    for index in range(6):
        node = str(uuid.UUID(int=chance.getrandbits(128)))
        role = "user" if index % 2 == 0 else "assistant"
        mapping[node] = _node(node, parent, role, text(chance), started + index)
        mapping[parent]["children"].append(node)
        parent = node
    current = node
    if number % 10 == 0:  # an edited last question, answered again: a second branch
        question = mapping[mapping[node]["parent"]]["parent"]
        edited, answer = (str(uuid.UUID(int=chance.getrandbits(128))) for _ in range(2))
        mapping[edited] = _node(edited, question, "user", text(chance), started + 10)
        mapping[answer] = _node(answer, edited, "assistant", text(chance), started + 11)
        mapping[question]["children"].append(edited)
        mapping[edited]["children"].append(answer)
        current = answer
    return {
        "title": f"conversation {number}",
        "create_time": started,
        "update_time": started + 11,
        "mapping": mapping,
        "current_node": current,
        "conversation_id": str(uuid.UUID(int=chance.getrandbits(128))),
        "id": None,
        "default_model_slug": "gpt-4o",
        "is_archived": False,
    }


def _node(node: str, parent: str, role: str, words: str, created: float) -> dict:
    message = {
        "id": node,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": created,
        "update_time": None,
        "content": {"content_type": "text", "parts": [words]},
        "status": "finished_successfully",
        "end_turn": role == "assistant" or None,
        "weight": 1.0,
        "metadata": {},
        "recipient": "all",
    }
    return {"id": node, "message": message, "parent": parent, "children": []}


def timed_import(url: str, path: Path) -> tuple[float, float]:
    """``convstore import`` of ``path`` into ``url`` in a child process: its wall
    time (s) and peak memory (MiB)."""
    arguments = [CONVSTORE, "--url", url, "import", str(path), "--user", "bench"]
    started = time.perf_counter()
    pid = os.spawnv(os.P_NOWAIT, CONVSTORE, arguments)
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise RuntimeError(f"convstore import {path.name} failed with status {status}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def measure(sizes: list[int], folder: Path) -> list[str]:
    rows = []
    for size in sizes:
        files = {
            "OpenAI JSONL": folder / f"openai-{size}.jsonl",
            "ChatGPT export": folder / f"chatgpt-{size}.json",
        }
        write_openai_jsonl(files["OpenAI JSONL"], size)
        write_chatgpt_export(files["ChatGPT export"], size)
        for label, path in files.items():
            megabytes = path.stat().st_size / 2**20
            figures = []
            for dialect in ("sqlite", "postgres"):
                if dialect == "sqlite":
                    url, drop = f"sqlite:///{folder}/{path.stem}.db", lambda: None
                else:
                    url, drop = scratch_postgres(f"_import_{os.getpid()}")
                try:
                    convstore.migrate(url)
                    seconds, peak = timed_import(url, path)
                finally:
                    drop()
                figures.append(f"{size / seconds:,.0f} | {peak:,.0f}")
            rows.append(f"| {label}, {size:,} ({megabytes:,.0f} MB) | {' | '.join(figures)} |")
            path.unlink()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 conversations")
    quick = parser.parse_args(argv).quick
    sizes = [1_000, 10_000] if quick else [10_000, 100_000]
    with tempfile.TemporaryDirectory() as folder:
        rows = measure(sizes, Path(folder))
    report = "\n".join(
        [
            f"# convstore import ({'quick' if quick else 'full'} run, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
            "",
            f"Machine: {os.cpu_count()} cores. `convstore import FILE --user bench` in a "
            "child process; one run each.",
            "",
            "| file, conversations | SQLite conv/s | SQLite peak MiB "
            "| PostgreSQL conv/s | PostgreSQL peak MiB |",
            "|---|---:|---:|---:|---:|",
            *rows,
            "",
        ]
    )
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
