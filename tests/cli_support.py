"""What the command-line tests share."""

from __future__ import annotations


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
