"""``convstore import`` of each format, detected or named: the README's
examples print what it says, detection goes by first bytes and name, and a
file that cannot be read that way is refused in one line before anything is
stored."""

from __future__ import annotations

import gzip
import io
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import convstore
from convstore.cli import main
from convstore.transfer.formats import open_source
from convstore.transfer.jsonl import export_conversations

from .cli_support import one_line

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
BIN = Path(sys.executable).parent


def _llm_log(path: Path) -> Path:
    """An llm logs.db made from the fixture schema and rows."""
    with sqlite3.connect(path) as database:
        database.executescript((FIXTURES / "llm" / "logs_schema.sql").read_text())
        database.executescript((FIXTURES / "llm" / "logs_rows.sql").read_text())
    database.close()
    return path


@pytest.fixture
def files(tmp_path) -> Path:
    """The README's files: train.jsonl.gz, conversations.json, logs.db."""
    fine_tuning = (FIXTURES / "openai" / "fine_tuning.jsonl").read_bytes()
    (tmp_path / "train.jsonl.gz").write_bytes(gzip.compress(fine_tuning))
    shutil.copy(FIXTURES / "chatgpt" / "conversations.json", tmp_path)
    _llm_log(tmp_path / "logs.db")
    return tmp_path


def test_the_readme_examples_print_what_it_says(files):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Importing the files people already have\n", 1)[1]
    (block,) = re.findall(r"```console\n(\$ .*?)```", section.split("\n#", 1)[0], re.S)
    environment = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(files)}
    for command, expected in re.findall(r"^\$ (.*)\n((?:(?!\$ ).*\n)*)", block, re.M):
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=files,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert done.stdout == expected, f"$ {command}"


@pytest.mark.parametrize(
    ("name", "data", "detected"),
    [
        ("export.zip", b"PK\x03\x04rest", "chatgpt"),
        ("anything", b"SQLite format 3\x00rest", "llm"),
        ("conversations.json", b'{"not": "an array"}', "chatgpt"),
        ("conversations.json.gz", gzip.compress(b"[]", mtime=0), "chatgpt"),
        ("export", b"  \n[{}]", "chatgpt"),
        ("lines.jsonl", b"[1, 2]\n", "jsonl"),
        ("lines.jsonl.gz", gzip.compress(b'{"messages": []}\n', mtime=0), "jsonl"),
        (None, b'{"messages": []}\n', "jsonl"),
    ],
)
def test_the_format_is_detected_by_first_bytes_then_name(name, data, detected):
    opened = open_source(io.BytesIO(data), name, None)
    assert opened.format == detected
    assert opened.stream.read() == (gzip.decompress(data) if opened.gzipped else data)


def test_a_named_format_wins(tmp_path):
    opened = open_source(io.BytesIO(b"[]"), "conversations.json", "openai")
    assert opened.format == "openai"


def test_a_file_of_convstore_and_openai_lines_is_read_line_by_line(sqlite_url, tmp_path, capsys):
    with convstore.connect(sqlite_url) as store:
        conversation_id = store.create_conversation("ana", title="saved")
        store.add_message(conversation_id, "user", "hello", tokens=2)
        out = io.StringIO()
        export_conversations(store, "ana", out)
    mixed = tmp_path / "mixed.jsonl"
    openai_line = (FIXTURES / "openai" / "fine_tuning.jsonl").read_text().splitlines()[0]
    mixed.write_text(out.getvalue() + openai_line + "\n")
    target = f"sqlite:///{tmp_path / 'target.db'}"
    assert main(["--url", target, "import", str(mixed), "--user", "bob"]) == 0
    assert capsys.readouterr().out == "imported 2 new conversations, 6 new messages\n"
    with convstore.connect(target) as store:
        assert [c["title"] for c in store.list_conversations("ana")] == ["saved"]
        assert len(store.list_conversations("bob")) == 1


def test_openai_lines_without_an_owner_are_named(sqlite_url, tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    shutil.copy(FIXTURES / "openai" / "fine_tuning.jsonl", path)
    assert main(["--url", sqlite_url, "import", str(path)]) == 1
    line = one_line(capsys.readouterr().err)
    assert "line 1: convstore is missing (read as an OpenAI chat line instead, it needs an " in line
    assert "owner: a user_id, --user)" in line


@pytest.mark.parametrize("name", ["conversations.json", "logs.db"])
def test_a_foreign_format_needs_an_owner_before_anything_is_read(files, capsys, name):
    url = f"sqlite:///{files / 'target.db'}"
    assert main(["--url", url, "import", str(files / name)]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.endswith("name no owner: give --user; nothing was imported")
    assert not (files / "target.db").exists()


def test_an_llm_log_must_be_a_file(files, capsys):
    url = f"sqlite:///{files / 'target.db'}"
    packed = files / "logs.db.gz"
    packed.write_bytes(gzip.compress((files / "logs.db").read_bytes()))
    assert main(["--url", url, "import", str(packed), "--user", "ana"]) == 1
    assert "an llm logs.db is read as a database file" in one_line(capsys.readouterr().err)


def test_a_chatgpt_zip_is_read_as_downloaded(files, capsys):
    archive = files / "chatgpt-export.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.write(files / "conversations.json", "export/conversations.json")
        packed.writestr("export/chat.html", "<html></html>")
    url = f"sqlite:///{files / 'target.db'}"
    arguments = ["--url", url, "import", str(archive), "--user", "ana", "--skip-invalid"]
    assert main(arguments) == 0
    from_zip = capsys.readouterr().out
    assert main([*arguments[:3], str(files / "conversations.json"), *arguments[4:]]) == 0
    assert capsys.readouterr().out.startswith("imported 0 new conversations, 0 new messages\n")
    assert from_zip.startswith("imported 5 new conversations, 26 new messages\n")


@pytest.mark.parametrize(
    "command",
    [
        ["users"],
        ["list", "--user", "ana"],
        ["export", "--user", "ana"],
        ["report", "tool_usage", "--param", "since=2026-01-01", "--param", "until=2026-12-31"],
    ],
)
def test_reading_another_applications_sqlite_file_changes_nothing(files, capsys, command):
    before = (files / "logs.db").read_bytes()
    assert main(["--url", str(files / "logs.db"), *command]) == 2
    line = one_line(capsys.readouterr().err)
    assert "logs.db is not a convstore database (no convstore migration was applied to it)" in line
    assert (files / "logs.db").read_bytes() == before
