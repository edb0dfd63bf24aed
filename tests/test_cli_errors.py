"""The command line with malformed input: every subcommand says what is wrong
in one line on stderr, never a traceback, and exits 2 when the command line
itself is wrong (as argparse's own errors do) or 1 for everything else."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

import convstore
from convstore.cli.commands import _parser, main
from convstore.transfer.jsonl import export_conversations, import_conversations

CONVSTORE = str(Path(sys.executable).parent / "convstore")
SQL = Path(__file__).parent / "sql"
UNKNOWN_ID = "6f1e7c52-2b7e-4c1a-9d55-0c7f1b0e9a31"
# a database the command line names wrongly: a usage error (status 2), saying what is wrong
BAD_URLS = {
    "postgresql://[::1": "cannot parse the database URL",
    "sqlite:////nonexistent-dir/app.db": "does not exist",
    "mysql://x": "unsupported database URL",
    "file:///x.db": "unsupported database URL",
    "sqlite:x.db": "three slashes",
}
PERIOD = ["--param", "since=2026-01-01", "--param", "until=2027-01-01"]
UNREADABLE = "/proc/self/mem"  # opens, then every read fails (EIO), for root too


@dataclass
class Files:
    """A migrated database with one conversation, and files to feed the CLI."""

    tmp: Path
    url: str
    user: str
    conversation_id: str
    export: Path
    postgres_url: str


@pytest.fixture
def files(tmp_path, monkeypatch, postgres_url) -> Files:
    monkeypatch.chdir(tmp_path)  # a default URL would name ./conversations.db
    monkeypatch.delenv("CONVSTORE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    # chat sets up its client before opening the database; no case reaches a model
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-used")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    with convstore.connect(url) as store:
        conversation_id = store.create_conversation("ana", title="trip")
        store.add_message(conversation_id, "user", "hello", tokens=2)
        export = tmp_path / "ana.jsonl"
        with export.open("w", encoding="utf-8") as out:
            export_conversations(store, "ana", out)
    (tmp_path / "not-utf8.jsonl").write_bytes(b"\xff\xfe{}\n")
    (tmp_path / "not-json.jsonl").write_text("this is not JSON\n")
    (tmp_path / "broken.jsonl.gz").write_bytes(gzip.compress(export.read_bytes())[:-12])
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "plain.txt").write_text("not a database\n")
    _tutorial_database(tmp_path / "tutorial.db")
    return Files(tmp_path, url, "ana", conversation_id, export, postgres_url)


Case = tuple[str, list[str], int, str]


def _cases() -> Iterator[Case]:
    """(id, argv, exit status, what stderr must say); ``{url}``, ``{tmp}``,
    ``{export}``, ``{conversation_id}`` and ``{postgres_url}`` in argv are
    the test's :class:`Files`."""
    for bad, wrong in BAD_URLS.items():
        for command in (["migrate"], ["rollback", "--yes"], ["status"], ["demo"]):
            argv = ["--url", bad, *command]
            yield f"{command[0]} --url {bad}", argv, 2, wrong
        connecting = {
            "report": ["--url", bad, "report", "tool_usage", *PERIOD],
            "export": ["--url", bad, "export", "--user", "ana"],
            "import": ["--url", bad, "import", "{export}"],
            "chat": ["--url", bad, "chat", "--conversation", "{conversation_id}"],
            "transfer --from": ["transfer", "--from", bad, "--to", "{postgres_url}"],
            "transfer --to": ["transfer", "--from", "{url}", "--to", bad],
            "import-legacy --to": ["import-legacy", "sqlite:///{tmp}/tutorial.db", "--to", bad],
        }
        for name, argv in connecting.items():
            if name == "transfer --to" and bad.startswith("sqlite:///"):
                yield f"{name} {bad}", argv, 2, "is not postgres"
                continue
            yield f"{name} {bad}", argv, 2, wrong
        argv = ["import-legacy", bad, "--to", "{url}"]
        yield f"import-legacy source {bad}", argv, 2, wrong

    # the command line itself
    yield "no command", [], 2, "required"
    yield "unknown command", ["frobnicate"], 2, "invalid choice"
    yield "unknown option", ["status", "--frobnicate"], 2, "unrecognized"
    yield "queries unknown", ["queries", "no_such_query"], 2, "no query named"
    yield "queries bad dialect", ["queries", "--dialect", "mysql"], 2, "invalid choice"

    # report
    report = ["--url", "{url}", "report"]
    period = PERIOD
    yield "report unknown", [*report, "no_such_report"], 2, "no report named"
    yield "report bad format", [*report, "tool_usage", "--format", "xml"], 2, "invalid choice"
    yield "report missing param", [*report, "tool_usage"], 2, "needs --param for: since, until"
    yield "report param without =", [*report, "tool_usage", "--param", "since"], 2, "KEY=VALUE"
    yield "report param without name", [*report, "tool_usage", "--param", "=1"], 2, "KEY=VALUE"
    for since in ("yesterday", "2026-13-01", "infinity", "epoch", "", "now", "2026-11-01 25:00"):
        argv = [*report, "tool_usage", "--param", f"since={since}", "--param", "until=2027-01-01"]
        yield f"report since={since!r}", argv, 2, "--param since"
    argv = [*report, "model_usage", "--param", "since=2026-01-01", "--param", "until=tomorrow"]
    yield "report until bad", argv, 2, "--param until"
    yield "report unknown param", [*report, "model_usage", *period, "--param", "x=1"], 2, "not 'x'"
    argv = [*report, "model_usage", *period, "--param", "since=2026-02-01"]
    yield "report param twice", argv, 2, "twice"
    for limit in ("x", "-1", "0", "1.5", str(2**64)):
        argv = [*report, "most_active_conversations", *period[:2], "--param", f"limit={limit}"]
        yield f"report limit={limit}", argv, 2, "--param limit"

    # export
    export = ["--url", "{url}", "export"]
    # 2026-W01-1 and 20261101 are ISO 8601 that datetime.fromisoformat reads, but
    # convstore.validation.timestamp, the one rule for times, does not
    for since in (
        "yesterday",
        "2026-13-01",
        "infinity",
        "",
        "10000-01-01",
        "2026-11-01T10:00+25",
        "2026-W01-1",
        "20261101",
    ):
        yield (
            f"export --since {since!r}",
            [*export, "--user", "ana", "--since", since],
            2,
            "--since",
        )
    for user in ("", "x" * 300, "a\x00b"):
        yield f"export --user {user[:5]!r}", [*export, "--user", user], 2, "--user"

    # import
    import_ = ["--url", "{url}", "import"]
    yield "import missing file", [*import_, "{tmp}/missing.jsonl"], 2, "No such file"
    yield "import a directory", [*import_, "{tmp}/a-directory"], 2, "Is a directory"
    yield "import unreadable file", [*import_, UNREADABLE], 1, "cannot read"
    yield "import broken gzip file", [*import_, "{tmp}/broken.jsonl.gz"], 1, "cannot read"
    yield "import non-UTF-8 file", [*import_, "{tmp}/not-utf8.jsonl"], 1, "UTF-8"
    yield "import non-JSON file", [*import_, "{tmp}/not-json.jsonl"], 1, "line 1"
    yield "import no file", import_, 2, "required"

    # import-legacy
    sources = {  # a file it cannot open: 2; one that is not the tutorial's: 1
        "a missing file": ("sqlite:///{tmp}/no.db", 2, "there is no SQLite database"),
        "a missing path": ("{tmp}/no.db", 2, "the source: there is no SQLite database at /"),
        "a directory": ("sqlite:///{tmp}/a-directory", 2, "it is a directory"),
        "not a database": ("sqlite:///{tmp}/plain.txt", 1, "not a database"),
        "a convstore database": ("{url}", 1, "tutorial"),
    }
    for name, (source, status, says) in sources.items():
        argv = ["import-legacy", source, "--to", "{url}"]
        yield f"import-legacy {name}", argv, status, says
    yield "import-legacy no --to", ["import-legacy", "{url}"], 2, "required"

    # transfer
    transfer = ["transfer", "--from", "{url}", "--to", "{postgres_url}"]
    for size in ("0", "-1", "x", "1.5", "", str(2**64)):
        yield f"transfer --page-size {size!r}", [*transfer, "--page-size", size], 2, "--page-size"
    yield "transfer no --to", transfer[:3], 2, "required"
    argv = ["transfer", "--from", "{postgres_url}", "--to", "{url}"]
    yield "transfer postgres to sqlite", argv, 2, "--from postgresql://"

    # chat: checked before any model is called
    chat = ["--url", "{url}", "chat"]
    yield "chat --conversation empty", [*chat, "--conversation", ""], 2, "non-empty name"
    yield "chat unknown conversation", [*chat, "--conversation", UNKNOWN_ID], 1, UNKNOWN_ID
    argv = [*chat, "--user", "bob", "--conversation", "{conversation_id}"]
    yield "chat another user's conversation", argv, 1, "no conversation"
    yield "chat --user empty", [*chat, "--user", ""], 2, "--user"

    # users, list, show, search, context: they only read (tests/test_cli_browse.py has more)
    for bad, wrong in BAD_URLS.items():
        yield f"users --url {bad}", ["--url", bad, "users"], 2, wrong
    reading = {
        "users": ["users"],
        "list": ["list", "--user", "ana"],
        "show": ["show", "{conversation_id}"],
        "search": ["search", "hello", "--user", "ana"],
        "context": ["context", "{conversation_id}", "--max-tokens", "9"],
    }
    for name, argv in reading.items():
        yield f"{name} missing file", ["--url", "{tmp}/typo.db", *argv], 2, "no SQLite database"
    browse = ["--url", "{url}"]
    yield "distribute on SQLite", [*browse, "distribute"], 1, "distribute needs a Citus coordinator"
    yield "list without --user", [*browse, "list"], 2, "`convstore users` lists the users"
    yield "search without --user", [*browse, "search", "hello"], 2, "--user is required"
    yield "show unknown conversation", [*browse, "show", UNKNOWN_ID], 1, UNKNOWN_ID
    argv = [*browse, "show", "{conversation_id}", "--user", "bob"]
    yield "show another user's conversation", argv, 1, "user 'bob' has no conversation"
    argv = [*browse, "context", "{conversation_id}"]
    yield "context without --max-tokens", argv, 2, "required: --max-tokens"
    yield "users --limit 0", [*browse, "users", "--limit", "0"], 2, "--limit"


CASES = list(_cases())


@pytest.mark.parametrize(
    ("argv", "status", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_input_is_one_line_on_stderr_and_a_status(files, capsys, argv, status, says):
    assert main([word.format(**vars(files)) for word in argv]) == status
    _one_line(capsys.readouterr().err, says)


def _one_line(err: str, says: str) -> None:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("convstore"), lines[0]
    assert says in lines[0], f"expected {says!r} in: {lines[0]}"


def test_every_subcommand_is_covered():
    commands = set(_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    named = {word for _, argv, _, _ in CASES for word in argv if word in commands}
    assert named == commands, f"no malformed-input case for: {commands - named}"


def test_main_returns_the_status_of_argparse_errors_and_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: convstore" in capsys.readouterr().out
    assert main(["status", "--no-such-option"]) == 2


@pytest.mark.parametrize("argv", [["--url", "", "status"], ["migrate", "--url", ""]])
def test_an_empty_url_is_refused_not_taken_for_the_default(files, capsys, argv):
    assert main(argv) == 2
    _one_line(capsys.readouterr().err, "expected a database URL or the path of a SQLite file")
    assert not (files.tmp / "conversations.db").exists()


# -- a read-only database ---------------------------------------------------------------


@pytest.fixture
def read_only_url(files) -> Iterator[str]:
    """The files' database, immutable (``chattr +i`` stops root too)."""
    path = files.tmp / "app.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i does not work here: {done.stderr.strip()}")
    try:
        yield files.url
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_database_is_one_line_and_status_1(files, read_only_url, capsys):
    record = json.loads(files.export.read_text())
    record["convstore"]["conversation"]["id"] = UNKNOWN_ID  # new, so the import must write
    new_line = files.tmp / "new.jsonl"
    new_line.write_text(json.dumps(record) + "\n")

    assert main(["--url", read_only_url, "import", str(new_line)]) == 1
    line = capsys.readouterr().err.strip()
    _one_line(line, "ReadOnlyDatabase: line 1:")
    assert line.endswith("import the file again where the database can be written")
    assert "fix it" not in line  # the line is fine
    assert main(["--url", read_only_url, "rollback", "--yes"]) == 1
    line = capsys.readouterr().err.strip()
    _one_line(line, "convstore: ReadOnlyDatabase: ")
    assert "is read-only" in line and "nothing was changed" in line
    assert "SchemaNotMigrated" not in line and "migrate" not in line
    # reads still work
    assert main(["--url", read_only_url, "export", "--user", "ana"]) == 0
    assert files.conversation_id in capsys.readouterr().out


# -- what the commands print --------------------------------------------------------------


def test_export_reads_since_as_a_date_in_utc(files, capsys):
    with convstore.connect(files.url) as store:
        day = store.get_conversation(files.conversation_id)["updated_at"].date()
    export = ["--url", files.url, "export", "--user", "ana", "--since"]
    after = (day + timedelta(days=1)).isoformat()
    assert main([*export, day.isoformat()]) == 0
    assert files.conversation_id in capsys.readouterr().out
    assert main([*export, after]) == 0  # midnight UTC of the next day: nothing since
    assert capsys.readouterr().out == ""


def test_report_reads_since_and_until_as_timestamps(files, capsys):
    args = ["--url", files.url, "report", "messages_per_user_per_day", "--format", "json"]
    everything = ["--param", "since=2000-01-01", "--param", "until=9999-01-01"]
    assert main([*args, *everything]) == 0
    assert [row["user_id"] for row in json.loads(capsys.readouterr().out)] == ["ana"]
    # the same instant written with another zone
    shifted = ["--param", "since=2000-01-01T05:00+05:00", "--param", "until=9999-01-01T00:00Z"]
    assert main([*args, *shifted]) == 0
    assert [row["user_id"] for row in json.loads(capsys.readouterr().out)] == ["ana"]
    nothing = ["--param", "since=9998-01-01", "--param", "until=9999-01-01"]
    assert main([*args, *nothing]) == 0
    assert json.loads(capsys.readouterr().out) == []


def _tutorial_database(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.executescript((SQL / "tutorial_sqlite.sql").read_text())
    connection.close()


def test_import_legacy_prints_rejected_conversations(files, capsys):
    source = files.tmp / "tutorial.db"
    with sqlite3.connect(source) as connection:
        connection.execute(
            "INSERT INTO conversations VALUES ('c-bad', 'alice', 'bad time', 'yesterday', "
            "'2024-05-03 08:00:00', '{}')"
        )
    connection.close()
    assert main(["import-legacy", f"sqlite:///{source}", "--to", files.url]) == 0
    out = capsys.readouterr().out
    assert "imported 3 new conversations" in out
    assert "  skipped conversation c-bad: created_at" in out


def test_transfer_prints_each_conflicting_conversation(files, scratch_databases, capsys):
    destination = scratch_databases.create()
    convstore.migrate(destination)
    record = json.loads(files.export.read_text())
    record["convstore"]["conversation"]["user_id"] = "bob"  # bob holds ana's id there
    with convstore.connect(destination) as store:
        import_conversations(store, io.StringIO(json.dumps(record) + "\n"))

    assert main(["transfer", "--from", files.url, "--to", destination]) == 1
    err = capsys.readouterr().err.splitlines()
    assert (
        f"conflicting: {files.conversation_id} (another user's conversation at the "
        "destination; not copied)"
    ) in err


# -- the installed command, in its own process --------------------------------------------


IN_A_PROCESS = [
    (["report", "model_usage", "--param", "since=yesterday", "--param", "until=x"], 2, "ISO 8601"),
    (["--url", "mysql://x", "migrate"], 2, "unsupported database URL"),
    (["--url", "sqlite:x.db", "migrate"], 2, "three slashes"),
    (["import-legacy", "nosuch.db", "--to", "x.db"], 2, "no SQLite database at nosuch.db"),
    (["import", UNREADABLE], 1, "cannot read"),
    (["import", "missing.jsonl"], 2, "No such file"),
    (
        ["transfer", "--from", "sqlite:///a.db", "--to", "postgresql://h/d", "--page-size", "0"],
        2,
        "--page-size",
    ),
]


@pytest.mark.parametrize(("argv", "status", "says"), IN_A_PROCESS)
def test_the_installed_command_exits_with_the_status_and_one_line(tmp_path, argv, status, says):
    done = subprocess.run(
        [CONVSTORE, *argv],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == status, done.stderr
    _one_line(done.stderr, says)
