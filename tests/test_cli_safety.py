"""The command line is safe and kind: rollback asks first and shows its target,
only convstore's own variable picks the database, --url goes before or after
the command, a bare path is a SQLite file wherever a URL is taken, --version,
and an import that fails says what it stored."""

from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
import uuid
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import convstore
from convstore.cli import main

from .cli_support import one_line

pytestmark = pytest.mark.usefixtures("no_configured_database")

CONVSTORE = str(Path(sys.executable).parent / "convstore")
SQL = Path(__file__).parent / "sql"


def _stored(url: str, user: str = "ana") -> str:
    with convstore.connect(url, migrate=True) as store:
        conversation_id = store.create_conversation(user, title="keep me")
        store.add_message(conversation_id, "user", "hello", tokens=2)
    return conversation_id


def _still_there(url: str, conversation_id: str) -> bool:
    if convstore.pending_migrations(url):
        return False
    with convstore.connect(url) as store:
        return store.get_conversation(conversation_id) is not None


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)  # the test server trusts local logins: the password is not checked
    return parts._replace(
        netloc=f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    ).geturl()


@pytest.fixture(params=["sqlite", "postgres"])
def own_database(request, tmp_path, scratch_databases) -> str:
    """A migrated database of each dialect that this test alone uses (it may be rolled back)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'own.db'}"
    return scratch_databases.create()


# -- rollback shows its target and asks ---------------------------------------------------


def test_rollback_without_yes_and_without_a_terminal_is_refused(own_database, capsys):
    conversation_id = _stored(own_database)
    url = _with_password(own_database, "s3cret") if "postgres" in own_database else own_database

    assert main(["--url", url, "rollback"]) == 2

    line = one_line(capsys.readouterr().err)
    assert "--yes" in line and "drops" in line
    assert convstore.urls.redact(url) in line and "s3cret" not in line
    assert _still_there(own_database, conversation_id)


def test_rollback_with_yes_drops_the_tables(own_database, capsys):
    _stored(own_database)
    assert main(["rollback", "--url", own_database, "--yes"]) == 0
    assert "rolled back" in capsys.readouterr().out
    assert convstore.pending_migrations(own_database)  # every migration is pending again


def test_a_malformed_url_fails_before_rollback_asks(capsys):
    assert main(["--url", "mysql://x/y", "rollback"]) == 2
    assert "unsupported database URL" in one_line(capsys.readouterr().err)


def _rollback_on_a_terminal(url: str, answer: bytes) -> tuple[int, str, str]:
    """Run ``convstore rollback`` with a pseudo-terminal as stdin and stderr;
    answer the prompt once it shows."""
    controller, terminal = pty.openpty()
    environment = {"PATH": "/usr/bin:/bin", "CONVSTORE_URL": url}
    process = subprocess.Popen(
        [CONVSTORE, "rollback"],
        stdin=terminal,
        stderr=terminal,
        stdout=subprocess.PIPE,
        env=environment,
    )
    os.close(terminal)
    shown = b""
    while b"Type yes" not in shown:
        ready, _, _ = select.select([controller], [], [], 30)
        assert ready, f"no prompt within 30 s; shown so far: {shown!r}"
        shown += os.read(controller, 4096)
    os.write(controller, answer)
    stdout, _ = process.communicate(timeout=60)
    try:
        while select.select([controller], [], [], 0.2)[0]:
            shown += os.read(controller, 4096)
    except OSError:  # the terminal closed with the process
        pass
    os.close(controller)
    return process.returncode, stdout.decode(), shown.decode()


def test_rollback_on_a_terminal_asks_and_goes_on_after_yes(own_database):
    _stored(own_database)
    status, out, shown = _rollback_on_a_terminal(own_database, b"yes\n")
    assert status == 0, shown
    assert convstore.urls.redact(own_database) in shown
    assert "rolled back" in out
    assert convstore.pending_migrations(own_database)


@pytest.mark.parametrize("answer", [b"no\n", b"\n", b"y es\n", b"\x04"])
def test_rollback_on_a_terminal_changes_nothing_without_yes(tmp_path, answer):
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    conversation_id = _stored(url)
    status, out, shown = _rollback_on_a_terminal(url, answer)
    assert status == 1
    assert "not confirmed: nothing was changed" in shown
    assert out == ""
    assert _still_there(url, conversation_id)


# -- which database: --url, CONVSTORE_URL, the default; never DATABASE_URL ----------------


@pytest.mark.parametrize("command", ["status", "migrate", "demo"])
def test_database_url_of_another_program_is_not_followed(tmp_path, command):
    environment = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgresql://other@127.0.0.1:1/app"}
    done = subprocess.run(
        [CONVSTORE, command], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "127.0.0.1:1" not in done.stdout + done.stderr
    if command == "demo":
        assert "on sqlite" in done.stdout and (tmp_path / "conversations.db").is_file()
    else:
        assert done.stdout.startswith("sqlite:///conversations.db: ")  # the default


def test_rollback_does_not_follow_database_url(postgres_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    assert main(["rollback", "--yes"]) == 0
    assert "sqlite:///conversations.db" in capsys.readouterr().out
    assert not convstore.pending_migrations(postgres_url)  # untouched


def test_convstore_url_is_followed_and_may_be_a_path(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CONVSTORE_URL", "configured.db")
    monkeypatch.setenv("DATABASE_URL", "postgresql://other@127.0.0.1:1/app")
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out.startswith("configured.db: applied ")  # the path, as given
    assert (tmp_path / "configured.db").is_file()
    # the library reads the same variable the same way
    with convstore.connect() as store:
        assert store.dialect == "sqlite"


# -- --url before or after the command ----------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "{url}", "status"],
        ["status", "--url", "{url}"],
        ["status", "--url={url}"],
        ["--url", "{url}", "status", "--url", "{url}"],
    ],
)
def test_url_goes_before_or_after_the_command(sqlite_url, capsys, argv):
    convstore.migrate(sqlite_url)
    assert main([word.format(url=sqlite_url) for word in argv]) == 0
    assert capsys.readouterr().out == f"{sqlite_url}: up to date\n"


def test_every_command_that_opens_the_database_takes_url_after_it(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'after.db'}"
    conversation_id = _stored(url)
    export = tmp_path / "ana.jsonl"
    runs = {
        "migrate": ["migrate"],
        "status": ["status"],
        "queries": ["queries", "get_messages"],
        "report": ["report"],
        "export": ["export", "--user", "ana"],
        "demo": ["demo"],
    }
    for name, argv in runs.items():
        assert main([*argv, "--url", url]) == 0, name
        out = capsys.readouterr().out
        if name == "export":
            assert conversation_id in out
            export.write_text(out)
    assert main(["import", str(export), "--url", url]) == 0
    assert capsys.readouterr().out == "imported 0 new conversations, 0 new messages\n"
    assert not (tmp_path / "conversations.db").exists()  # the default was never opened


def test_two_different_urls_are_refused(tmp_path, capsys):
    assert main(["--url", "a.db", "status", "--url", "b.db"]) == 2
    assert "--url is given twice" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "x.db", "transfer", "--from", "a.db", "--to", "postgresql://h/d"],
        ["import-legacy", "old.db", "--to", "x.db", "--url", "y.db"],
    ],
)
def test_url_is_refused_where_the_command_names_its_databases(capsys, argv):
    assert main(argv) == 2
    assert "--url does not apply here" in one_line(capsys.readouterr().err)


# -- --version ------------------------------------------------------------------------------


def test_version_prints_the_package_version():
    done = subprocess.run([CONVSTORE, "--version"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"convstore {metadata.version('convstore')}\n"


# -- a bare path is a SQLite file ------------------------------------------------------------


ODD_NAMES = [
    "conversations.db",
    "./dot-slash.db",
    "sub dir/with space.db",
    "C:\\data\\windows.db",  # on POSIX a file name with a colon and backslashes
    "C:/data/drive.db",
    "per%20cent ?query #hash.db",
    "a=b.db",
    "ünïcode.db",
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_a_bare_path_is_that_sqlite_file(tmp_path, capsys, name):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    assert main(["--url", name, "migrate"]) == 0
    assert path.is_file(), sorted(p.name for p in tmp_path.rglob("*"))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [path]
    capsys.readouterr()
    assert main(["status", "--url", str(path)]) == 0  # an absolute path too
    assert "up to date" in capsys.readouterr().out


def test_a_path_in_the_home_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    assert main(["--url", "~/mine.db", "migrate"]) == 0
    assert (tmp_path / "home" / "mine.db").is_file()


def test_a_real_url_still_works(tmp_path, postgres_url, capsys):
    relative = "sqlite:///relative.db"
    absolute = f"sqlite:///{tmp_path / 'absolute.db'}"
    for url in (relative, absolute, postgres_url, postgres_url.replace("postgresql", "postgres")):
        assert main(["--url", url, "migrate"]) == 0, capsys.readouterr().err
    assert (tmp_path / "relative.db").is_file() and (tmp_path / "absolute.db").is_file()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite:relative.db", "three slashes"),  # a malformed URL, not a file of that name
        ("mysql://h/d", "unsupported database URL"),
    ],
)
def test_a_malformed_url_is_not_taken_for_a_path(tmp_path, capsys, url, says):
    assert main(["--url", url, "migrate"]) == 2
    assert says in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_a_libpq_connection_string_is_refused_without_echoing_it(tmp_path, capsys):
    assert main(["--url", "host=localhost dbname=app password=s3cret", "migrate"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "postgresql://user@host:port/dbname" in line and "s3cret" not in line
    assert list(tmp_path.iterdir()) == []


def test_transfer_takes_a_path_for_its_source(tmp_path, scratch_databases, capsys):
    conversation_id = _stored("sqlite:///old.db")
    destination = scratch_databases.create()
    assert main(["transfer", "--from", "old.db", "--to", destination]) == 0
    assert "both sides agree" in capsys.readouterr().out
    assert _still_there(destination, conversation_id)


def test_transfer_to_a_path_is_refused_as_sqlite(tmp_path, capsys):
    _stored("sqlite:///old.db")
    assert main(["transfer", "--from", "old.db", "--to", "new.db"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "--to new.db is not postgres" in line
    assert "give --to postgresql://user@host/dbname" in line


def test_import_legacy_takes_paths(tmp_path, capsys):
    with sqlite3.connect(tmp_path / "tutorial.db") as connection:
        connection.executescript((SQL / "tutorial_sqlite.sql").read_text())
    connection.close()
    assert main(["import-legacy", "tutorial.db", "--to", "./imported.db"]) == 0
    assert "imported 3 new conversations" in capsys.readouterr().out
    assert (tmp_path / "imported.db").is_file()


# -- import says what it stored when a line fails --------------------------------------------


def _export_lines(url: str, user: str, count: int) -> list[str]:
    with convstore.connect(url) as store:
        for number in range(count):
            conversation_id = store.create_conversation(user, title=f"trip {number}")
            store.add_messages(
                conversation_id,
                [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
            )
        lines = []
        for conversation in store.list_conversations(user, limit=count):
            lines.append(_line_of(store, conversation["id"]))
    return sorted(lines)


def _line_of(store, conversation_id: str) -> str:
    import io

    from convstore.transfer.jsonl import export_conversations

    out = io.StringIO()
    user = store.get_conversation(conversation_id)["user_id"]
    export_conversations(store, user, out)
    return next(line for line in out.getvalue().splitlines() if conversation_id in line)


@pytest.fixture
def source_lines(tmp_path) -> list[str]:
    """Three export lines of three conversations, from a database of their own."""
    return _export_lines(f"sqlite:///{tmp_path / 'source.db'}", f"u-{uuid.uuid4().hex[:8]}", 3)


def test_a_failing_line_says_what_was_imported_before_it(database_url, source_lines, capsys):
    bad = json.loads(source_lines[2])
    del bad["convstore"]["messages"][1]["seq"]
    path = Path("partial.jsonl")
    path.write_text(f"{source_lines[0]}\n\n{source_lines[1]}\n{json.dumps(bad)}\n")

    assert main(["import", str(path), "--url", database_url]) == 1

    line = one_line(capsys.readouterr().err)
    assert line.startswith("convstore: InvalidInput: line 4: convstore.messages[1].seq is missing")
    assert "(in partial.jsonl)" in line
    assert "2 lines imported before that (2 new conversations, 4 new messages)" in line
    assert "fix it and import the file again" in line
    user = bad["convstore"]["conversation"]["user_id"]
    with convstore.connect(database_url) as store:
        assert len(store.list_conversations(user)) == 2


def test_a_failing_first_line_says_nothing_was_imported(sqlite_url, capsys):
    Path("bad.jsonl").write_text("[1, 2]\n")
    assert main(["--url", sqlite_url, "import", "bad.jsonl"]) == 1
    line = one_line(capsys.readouterr().err)
    assert "line 1: an array, not a JSON object" in line and "nothing was imported" in line


def test_a_line_that_is_not_utf8_names_the_line_and_byte(sqlite_url, source_lines, capsys):
    latin1 = source_lines[1].replace('"trip ', '"tr\u00edp ').encode("latin-1")
    assert b"\xed" in latin1
    Path("latin1.jsonl").write_bytes(source_lines[0].encode() + b"\n" + latin1 + b"\n")
    assert main(["--url", sqlite_url, "import", "latin1.jsonl"]) == 1
    line = one_line(capsys.readouterr().err)
    byte = latin1.index(b"\xed") + 1
    assert f"line 2: byte {byte} (0xed) is not UTF-8" in line
    assert "must be UTF-8" in line and "(in latin1.jsonl)" in line
    assert "1 line imported before that (1 new conversations, 2 new messages)" in line


def test_a_gzip_file_is_read_as_it_is(sqlite_url, source_lines, capsys):
    import gzip

    Path("export.jsonl.gz").write_bytes(gzip.compress("\n".join(source_lines).encode()))
    assert main(["--url", sqlite_url, "import", "export.jsonl.gz"]) == 0
    assert capsys.readouterr().out == "imported 3 new conversations, 6 new messages\n"


def test_import_reads_standard_input(tmp_path, source_lines):
    url = f"sqlite:///{tmp_path / 'stdin.db'}"
    convstore.migrate(url)
    done = subprocess.run(
        [CONVSTORE, "--url", url, "import", "-"],
        input="\n".join(source_lines) + "\n",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "imported 3 new conversations, 6 new messages\n"


def test_an_unexpected_error_is_still_one_line(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("something\nunforeseen")

    monkeypatch.setattr("convstore.cli.commands.pending_migrations", broken)
    assert main(["status"]) == 1
    line = one_line(capsys.readouterr().err, bug=True)
    assert "unexpected RuntimeError: something unforeseen" in line and "a bug" in line


@pytest.mark.parametrize(
    "argv",
    [
        ["transfer", "--from", "", "--to", "postgresql://h/d"],
        ["transfer", "--from", "a.db", "--to", ""],
        ["import-legacy", "", "--to", "x.db"],
        ["import-legacy", "old.db", "--to", ""],
    ],
)
def test_an_empty_database_is_a_usage_error(tmp_path, capsys, argv):
    assert main(argv) == 2
    assert "expected a database URL or the path of a SQLite file" in one_line(
        capsys.readouterr().err
    )
    assert list(tmp_path.iterdir()) == []
