"""``make bench-transfer``: SQLite -> PostgreSQL transfer throughput and peak
memory, beside a plain ``COPY`` of the same rows (the physical limit here).
Writes ``bench/transfer-results.md``.

Each transfer runs in a child process, so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import convstore
from bench import dataset
from bench.run import RESULTS, scratch_postgres

TRANSFER = "import sys, convstore.transfer as t; t.transfer(sys.argv[1], sys.argv[2], verify=sys.argv[3] == 'verify')"
PLAIN_COPY = "import sys, bench.transfer as b; b.plain_copy(sys.argv[1], sys.argv[2])"


def child(program: str, *arguments: str) -> tuple[float, float]:
    """Run ``program`` in a child process; its wall time (s) and peak memory (MiB)."""
    started = time.perf_counter()
    pid = os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, "-c", program, *arguments])
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise RuntimeError(f"child failed with status {status}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def plain_copy(source_url: str, destination_url: str) -> None:
    """The same rows, a page of conversations at a time (as the transfer reads
    them, so memory stays bounded), streamed from the SQLite source into two
    COPYs per page, all in one destination transaction: no checks, no verification."""
    from convstore.transfer import sqlite_to_postgres as t

    with (
        convstore.connect(source_url) as source,
        convstore.connect(destination_url, migrate=True, statement_timeout=3600) as destination,
    ):
        database = destination.database

        def copy(page: list[dict]) -> None:
            database.copy_rows("transfer.copy_conversations", map(t._copy_row, page))
            after_seqs = dict.fromkeys((c["id"] for c in page), 0)
            with t._source_messages(source, after_seqs) as messages:
                database.copy_rows("transfer.copy_messages", map(t._copy_row, messages))

        with database.transaction():
            t._each_page(source, t.PAGE_SIZE, copy)


def measure(messages: int, folder: str) -> list[str]:
    source = f"sqlite:///{folder}/source-{messages}.db"
    with convstore.connect(source) as store:
        specs = [
            dataset.ConversationSpec(str(uuid.uuid4()), f"user-{n % 100}", 1_000)
            for n in range(messages // 1_000)
        ]
        dataset.load(store, specs)
    rows = []
    for label, program, arguments in (
        ("plain COPY", PLAIN_COPY, ()),
        ("transfer, no verification", TRANSFER, ("copy",)),
        ("transfer with verification", TRANSFER, ("verify",)),
    ):
        destination, drop = scratch_postgres()
        try:
            convstore.migrate(destination)
            seconds, peak = child(program, source, destination, *arguments)
        finally:
            drop()
        rows.append(f"| {messages:,} | {label} | {messages / seconds:,.0f} | {peak:,.0f} |")
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--out", type=Path, default=RESULTS)
    arguments = parser.parse_args(argv)
    lines = [
        "# convstore transfer benchmark",
        "",
        "| messages | run | messages/s | peak memory, MiB |",
        "|---:|---|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        for size in arguments.sizes:
            lines += measure(size, folder)
    (arguments.out / "transfer-results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
