"""What the command-line tests share."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def one_line(err: str, *, bug: bool = False) -> str:
    """The one line a failing command wrote to stderr: no traceback, it starts
    with the program's name, and unless ``bug`` it does not report an
    unexpected error ("a bug in convstore")."""
    assert "Traceback" not in err, err
    assert bug or "a bug in convstore" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("convstore"), lines[0]
    return lines[0]


@contextmanager
def running(args: Sequence[str], **options: Any) -> Iterator[subprocess.Popen]:
    """A command started with text pipes for its stdout and stderr (and
    ``options`` for :class:`subprocess.Popen`), killed at the end of the
    block if it is still running."""
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()


def wait_until(process: subprocess.Popen, under_way: Callable[[], bool]) -> None:
    """Wait (60 s at most) until ``under_way()`` says the command has got far
    enough; fail if it ends first."""
    deadline = time.monotonic() + 60
    while not under_way():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the command did not get there within 60 s"
        time.sleep(0.01)


def ctrl_c(process: subprocess.Popen) -> tuple[str, str]:
    """Send Ctrl-C (SIGINT) and return what the command then writes to
    stdout and stderr (60 s at most)."""
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=60)
