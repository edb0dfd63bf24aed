"""Standard input and output the command line cannot use -- closed, or on a
full disk -- and numbers it reads: one line that names the stream or the
option, never a traceback or "a bug in convstore"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import convstore
from convstore.cli import main

from .cli_support import one_line

CONVSTORE = str(Path(sys.executable).parent / "convstore")
SINCE = ["--param", "since=2020-01-01"]
LIMIT = ["--param", "limit=5"]


@pytest.fixture
def database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    with convstore.connect(url) as store:
        conversation_id = store.create_conversation("ana", title="trip")
        store.add_message(conversation_id, "user", "hello", tokens=2)
    return url


def _closing(redirection: str, *argv: str, cwd: Path) -> subprocess.CompletedProcess:
    """The installed command with a stream closed by the shell (``<&-``, ``>&-``)."""
    return subprocess.run(
        ["sh", "-c", f'exec "$0" "$@" {redirection}', CONVSTORE, *argv],
        stdout=None if redirection == ">&-" else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def test_import_from_a_closed_standard_input(tmp_path):
    done = _closing("<&-", "import", "-", "--url", "x.db", cwd=tmp_path)
    assert done.returncode == 2
    assert "standard input is closed" in one_line(done.stderr)
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--user", "ana"],
        ["status"],
        ["report", "most_active_conversations", *SINCE, *LIMIT],
    ],
)
def test_a_closed_standard_output(tmp_path, database, argv):
    done = _closing(">&-", *argv, "--url", database, cwd=tmp_path)
    assert done.returncode == 2
    assert "standard output is closed" in one_line(done.stderr)


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--user", "ana"],
        ["status"],
        ["report", "most_active_conversations", *SINCE, *LIMIT],
    ],
)
def test_standard_output_on_a_full_disk_is_named(tmp_path, database, argv):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [CONVSTORE, *argv, "--url", database],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert line == "convstore: cannot write standard output: No space left on device"


@pytest.mark.parametrize(
    ("limit", "says"),
    [
        ("²", "must be a whole number (digits 0-9), got '²'"),
        ("٣", "must be a whole number (digits 0-9), got '٣'"),
        ("1_000", "must be a whole number (digits 0-9)"),
        ("-1", "--param limit is how many rows: 1 or more, got '-1'"),
        ("0", "--param limit is how many rows: 1 or more, got '0'"),
    ],
)
def test_report_limit_takes_ascii_digits_only(database, capsys, limit, says):
    argv = ["--url", database, "report", "most_active_conversations", *SINCE]
    assert main([*argv, "--param", f"limit={limit}"]) == 2
    assert says in one_line(capsys.readouterr().err)


def test_report_limit_still_takes_a_number(database, capsys):
    argv = ["--url", database, "report", "most_active_conversations", *SINCE]
    assert main([*argv, "--param", "limit= 3", "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") == 2  # the header and ana's conversation


@pytest.mark.parametrize("size", ["٣", "1_000", "²"])
def test_transfer_page_size_takes_ascii_digits_only(capsys, size):
    argv = ["transfer", "--from", "a.db", "--to", "postgresql://h/d", "--page-size", size]
    assert main(argv) == 2
    assert "--page-size: the page size must be a whole number" in one_line(capsys.readouterr().err)
