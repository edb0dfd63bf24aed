"""Ctrl-C during ``convstore import``: one line saying where it stopped and
what the lines before it stored, status 130, and importing again completes it."""

from __future__ import annotations

import fcntl
import io
import re
import struct
import subprocess
import sys
import termios
import uuid
from pathlib import Path
from typing import IO

import psycopg
import pytest

import convstore
from convstore.transfer.jsonl import export_conversations

from .cli_support import ctrl_c, running, wait_until

CONVSTORE = str(Path(sys.executable).parent / "convstore")
LINES = 1500
INTERRUPTED = re.compile(
    r"convstore: interrupted after line (\d+); (\d+) lines imported before that "
    r"\((\d+) new conversations, (\d+) new messages\); import the file again"
)


def _big_export(tmp_path: Path) -> Path:
    """A JSONL file of LINES conversations of ana's, one message each."""
    with convstore.connect(f"sqlite:///{tmp_path / 'source.db'}") as store:
        conversation_id = store.create_conversation("ana", title="one of many")
        store.add_message(conversation_id, "user", "hello", tokens=2)
        out = io.StringIO()
        export_conversations(store, "ana", out)
    template = out.getvalue()
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as lines:
        for _ in range(LINES):
            lines.write(template.replace(conversation_id, str(uuid.uuid4())))
    return path


def _stored(url: str) -> int:
    with convstore.connect(url) as store:
        return store.get_user_stats("ana")["conversations"]


def test_ctrl_c_says_where_the_import_stopped_and_what_it_stored(tmp_path):
    export = _big_export(tmp_path)
    url = f"sqlite:///{tmp_path / 'target.db'}"
    convstore.migrate(url)
    with running([CONVSTORE, "--url", url, "import", str(export)]) as process:
        wait_until(process, lambda: _stored(url) >= 20)  # some lines committed
        out, err = ctrl_c(process)
    assert process.returncode == 130, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    shown = INTERRUPTED.fullmatch(lines[0])
    assert shown, lines[0]
    at, imported, conversations, messages = map(int, shown.groups())
    assert 20 <= imported < LINES
    assert at == imported and conversations == imported and messages == imported
    # the line under way was rolled back, or committed just before the interrupt
    stored = _stored(url)
    assert stored in (imported, imported + 1)

    again = subprocess.run(
        [CONVSTORE, "--url", url, "import", str(export)], capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    rest = LINES - stored
    assert again.stdout == f"imported {rest} new conversations, {rest} new messages\n"
    assert _stored(url) == LINES


def _unread(pipe: IO[str]) -> int:
    """How many bytes written to ``pipe`` its reader has not read yet."""
    return struct.unpack("i", fcntl.ioctl(pipe.fileno(), termios.FIONREAD, b"\0" * 4))[0]


INTERRUPTED_EARLY = {
    # What standard input holds when Ctrl-C strikes (enough to tell the format,
    # never a whole conversation), what the import says before, and its last line.
    "before the first line": (
        '{"messages": [',
        [],
        "convstore: interrupted before the first line; nothing was imported; import the file again",
    ),
    "after a skipped line": (
        '"not a conversation"\n{"messages": [',
        ["skipped line 1: "],
        "convstore: interrupted after line 1; nothing was imported; import the file again",
    ),
}


@pytest.mark.parametrize("stdin_holds", list(INTERRUPTED_EARLY))
def test_ctrl_c_before_anything_is_stored_says_so(tmp_path, stdin_holds):
    """An import of a pipe slow to deliver its first conversation (``zcat
    big.gz | convstore import -``), interrupted while it opens the database
    or waits for the rest: still one line saying where it stopped, and that
    nothing was stored."""
    head, said_before, last_line = INTERRUPTED_EARLY[stdin_holds]
    url = f"sqlite:///{tmp_path / 'target.db'}"
    convstore.migrate(url)
    command = [CONVSTORE, "--url", url, "import", "-", "--user", "ana", "--skip-invalid"]
    with running(command, stdin=subprocess.PIPE) as process:
        assert process.stdin is not None and process.stderr is not None
        process.stdin.write(head)
        process.stdin.flush()
        stdin = process.stdin
        wait_until(process, lambda: not _unread(stdin))  # read to tell its format
        said = [process.stderr.readline() for _ in said_before]
        out, err = ctrl_c(process)
    assert process.returncode == 130, err
    assert out == ""
    for line, start in zip(said, said_before, strict=True):
        assert line.startswith(start), line
    assert err.splitlines() == [last_line], err
    assert _stored(url) == 0


def test_ctrl_c_during_a_postgres_statement_says_only_where_it_stopped(tmp_path, postgres_url):
    """Ctrl-C while the import's first transaction waits on a PostgreSQL
    lock: that transaction is rolled back, and the command's one line is
    its only output."""
    export = _big_export(tmp_path)
    with psycopg.connect(postgres_url) as holder:
        holder.execute("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
        blocked = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        with running([CONVSTORE, "--url", postgres_url, "import", str(export)]) as process:
            wait_until(process, lambda: _count(postgres_url, blocked) > 0)
            out, err = ctrl_c(process)
    assert process.returncode == 130, err
    assert out == ""
    assert err.splitlines() == [
        "convstore: interrupted before the first line; nothing was imported; import the file again"
    ], err


def _count(url: str, query: str) -> int:
    with psycopg.connect(url, autocommit=True) as watcher:
        return watcher.execute(query).fetchone()[0]
