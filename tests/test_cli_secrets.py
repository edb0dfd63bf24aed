"""A password in a database URL is never shown: not in the userinfo, not in
the query string (password, passfile, sslpassword), not when the URL cannot
be parsed, not by make echoing its recipes; in success output and in errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from convstore.cli import main
from convstore.urls import redact

pytestmark = pytest.mark.usefixtures("no_configured_database")

SECRET = "hunter2"
ROOT = Path(__file__).parent.parent
CONVSTORE = str(Path(sys.executable).parent / "convstore")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:hunter2@h/d", "postgresql://u:***@h/d"),
        ("postgresql://u@h/d?password=hunter2", "postgresql://u@h/d?password=***"),
        (
            "postgresql:///d?host=h&password=hunter2&sslmode=disable",
            "postgresql:///d?host=h&password=***&sslmode=disable",
        ),
        ("postgresql://h/d?passfile=/hunter2/.pgpass", "postgresql://h/d?passfile=***"),
        ("postgresql://h/d?sslpassword=hunter2", "postgresql://h/d?sslpassword=***"),
        ("postgresql://h/d?PassWord=hunter2", "postgresql://h/d?PassWord=***"),
        ("postgresql://h/d?pass%77ord=hunter2", "postgresql://h/d?pass%77ord=***"),
        ("postgresql://h/d?password=hunter2#x", "postgresql://h/d?password=***#***"),
        ("postgresql://u:hun@ter2@h/d", "postgresql://u:***@h/d"),
        ("sqlite://u:hunter2@host/x.db", "sqlite://u:***@host/x.db"),
        ("mysql://u:hunter2@h/d", "mysql://u:***@h/d"),
        # a password libpq and Python split differently: nothing after the scheme
        ("postgresql://postgres:pa:ss/wd@h/db", "postgresql://***"),
        ("postgresql://u:hun/ter2@h/d", "postgresql://***"),
        ("postgresql://u:123?hunter2@h/d", "postgresql://***"),
        ("postgresql://u:hunter2#x@h/d", "postgresql://***"),
        ("postgresql://[::1", "postgresql://***"),
        ("postgresql:u:hunter2@h/d", "postgresql://***"),
        # nothing secret: unchanged
        ("sqlite:///conversations.db", "sqlite:///conversations.db"),
        ("sqlite:///my@file.db", "sqlite:///my@file.db"),
        (
            "postgresql://u@[::1]:5432/d?sslmode=require",
            "postgresql://u@[::1]:5432/d?sslmode=require",
        ),
        ("postgresql:///d", "postgresql:///d"),
    ],
)
def test_redact_hides_every_password(url, shown):
    assert redact(url) == shown


def _query_password(url: str) -> str:
    return f"{url}?password={SECRET}"


def _cases(postgres_url: str) -> list[tuple[str, list[str]]]:
    parts = urlsplit(postgres_url)
    database = parts.path.lstrip("/")
    unreachable = parts._replace(netloc=f"{parts.username}@{parts.hostname}:1").geturl()
    missing = parts._replace(path="/no_such_database_here").geturl()
    host_in_query = f"postgresql:///{database}?host={parts.hostname}&port={parts.port}"
    return [
        ("status, success", ["--url", _query_password(postgres_url), "status"]),
        ("status, host in the query", ["--url", f"{host_in_query}&password={SECRET}", "status"]),
        ("status, unreachable port", ["--url", _query_password(unreachable), "status"]),
        ("status, missing database", ["--url", _query_password(missing), "status"]),
        ("export, missing database", ["--url", _query_password(missing), "export", "--user", "a"]),
        ("migrate, unreachable port", ["--url", _query_password(unreachable), "migrate"]),
        (
            "rollback without --yes",
            ["--url", f"{host_in_query}&sslpassword={SECRET}", "rollback"],
        ),
        ("sqlite URL with a host", ["--url", f"sqlite://u:{SECRET}@host/x.db", "status"]),
        (
            "unparsable password",
            ["--url", f"postgresql://postgres:pa:{SECRET}/wd@127.0.0.1/db", "status"],
        ),
        ("unsupported scheme", ["--url", f"mysql://u:{SECRET}@h/d", "migrate"]),
        (
            "transfer --to not PostgreSQL",
            ["transfer", "--from", "x.db", "--to", f"sqlite://u:{SECRET}@h/x.db"],
        ),
        (
            "import-legacy unreachable source",
            ["import-legacy", _query_password(unreachable), "--to", "x.db"],
        ),
    ]


CASE_NAMES = [name for name, _ in _cases("postgresql://u@h:1/d")]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_no_command_shows_a_password(postgres_url, capsys, case):
    argv = dict(_cases(postgres_url))[case]
    main(argv)
    shown = capsys.readouterr()
    assert SECRET not in shown.out + shown.err
    assert "***" in shown.out + shown.err


def test_success_output_names_the_database_without_its_password(postgres_url, capsys):
    assert main(["--url", _query_password(postgres_url), "status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{postgres_url}?password=***: ")


def test_make_does_not_echo_the_password(tmp_path, postgres_url):
    url = _query_password(postgres_url)
    # -o: the virtualenv is taken as it is, never rebuilt by the test
    done = subprocess.run(
        ["make", "-C", str(ROOT), "-o", ".venv/bin/convstore", "status", f"CONVSTORE_URL={url}"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "password=***" in done.stdout
