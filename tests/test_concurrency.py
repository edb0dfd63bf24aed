"""Several processes appending to one SQLite file: no "database is locked",
seq exactly 1..n, every acknowledged message present once."""

from __future__ import annotations

import json
import subprocess
import sys

import convstore

WRITER = """
import json, sys, convstore
url, conversation_id, writer = sys.argv[1], sys.argv[2], sys.argv[3]
acknowledged = []
with convstore.connect(url, max_size=2) as store:
    for i in range(40):
        if i % 4 == 3:
            batch = [{"role": "user", "content": f"{writer}-{i}-{j}", "tokens": 3} for j in range(3)]
            acknowledged += [[m["seq"], m["content"]] for m in store.add_messages(conversation_id, batch)]
        else:
            message = store.add_message(conversation_id, "user", f"{writer}-{i}", tokens=3)
            acknowledged.append([message["seq"], message["content"]])
print(json.dumps(acknowledged))
"""


def test_four_processes_append_to_one_sqlite_file(sqlite_url):
    with convstore.connect(sqlite_url) as store:
        conversation_id = store.create_conversation("processes")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, sqlite_url, conversation_id, str(writer)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for writer in range(4)
    ]
    outputs = [writer.communicate(timeout=120) for writer in writers]
    assert [writer.returncode for writer in writers] == [0] * 4, [err for _, err in outputs]
    acknowledged = sorted(tuple(pair) for out, _ in outputs for pair in json.loads(out))

    with convstore.connect(sqlite_url) as store:
        stored = store.get_messages(conversation_id, limit=None)
        stats = store.get_conversation_stats(conversation_id)
    total = 4 * (30 + 10 * 3)
    assert [(m["seq"], m["content"]) for m in stored] == acknowledged
    assert [m["seq"] for m in stored] == list(range(1, total + 1))
    assert stats["message_count"] == total and stats["total_tokens"] == 3 * total
