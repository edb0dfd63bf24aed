"""Which database a command opens, and how it names it: a command that only
reads never creates a SQLite file (a missing one is a usage error), a
transfer's source must exist, and a path is shown as it was given."""

from __future__ import annotations

import pytest

import convstore
from convstore.cli import main

from .cli_support import one_line

pytestmark = pytest.mark.usefixtures("no_configured_database")

PERIOD = ["--param", "since=2026-01-01", "--param", "until=2027-01-01"]
ODD_NAME = "my db?x#y%20.db"


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--user", "ana", "--url", "typo.db"],
        ["report", "tool_usage", *PERIOD, "--url", "typo.db"],
        ["--url", "sqlite:///typo.db", "report", "tool_usage", *PERIOD],
        ["transfer", "--from", "typo.db", "--to", "{postgres_url}"],
        ["transfer", "--from", "typo.db", "--to", "{postgres_url}", "--verify-only"],
        ["import-legacy", "typo.db", "--to", "imported.db"],
    ],
    ids=["export", "report", "report sqlite URL", "transfer", "transfer --verify-only", "legacy"],
)
def test_a_missing_file_is_refused_and_not_created(tmp_path, postgres_url, capsys, argv):
    argv = [word.format(postgres_url=postgres_url) for word in argv]
    assert main(argv) == 2
    line = one_line(capsys.readouterr().err)
    assert "there is no SQLite database at " in line and "typo.db" in line
    assert list(tmp_path.iterdir()) == []


def test_transfer_names_its_missing_source(tmp_path, postgres_url, capsys):
    assert main(["transfer", "--from", "nosuch.db", "--to", postgres_url]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("convstore transfer: error: --from: there is no SQLite database")
    assert "nosuch.db" in line


def test_status_says_there_is_no_database_yet_and_creates_none(tmp_path, capsys):
    assert main(["status", "--url", "typo.db"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("typo.db: no database there yet (convstore migrate creates it); pending ")
    assert main(["queries", "get_messages", "--url", "typo.db"]) == 0
    assert list(tmp_path.iterdir()) == []


def test_the_commands_that_write_still_create_the_file(tmp_path, capsys):
    assert main(["migrate", "--url", "new.db"]) == 0
    assert (tmp_path / "new.db").is_file()
    assert main(["export", "--user", "ana", "--url", "new.db"]) == 0  # it exists now


def test_a_path_is_shown_as_it_was_given(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CONVSTORE_URL", ODD_NAME)
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out.startswith(f"{ODD_NAME}: applied ")
    assert (tmp_path / ODD_NAME).is_file()
    monkeypatch.delenv("CONVSTORE_URL")
    assert main(["status", "--url", ODD_NAME]) == 0
    assert capsys.readouterr().out == f"{ODD_NAME}: up to date\n"
    assert main(["--url", ODD_NAME, "rollback"]) == 2  # no terminal to ask on
    assert f"every migration of {ODD_NAME} drops" in one_line(capsys.readouterr().err)


def test_a_url_is_shown_as_a_url(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'a%20b.db'}"
    assert main(["migrate", "--url", url]) == 0
    assert capsys.readouterr().out.startswith(f"{url}: applied ")
    assert (tmp_path / "a b.db").is_file()  # the URL is percent-decoded


def test_a_bad_configured_url_is_a_usage_error_naming_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("CONVSTORE_URL", "mysql://u:hunter2@h/d")
    assert main(["status"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "CONVSTORE_URL: unsupported database URL 'mysql://u:***@h/d'" in line


def test_a_missing_directory_is_a_usage_error(tmp_path, capsys):
    assert main(["migrate", "--url", "no-such-dir/x.db"]) == 2
    assert "does not exist" in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_command_leaves_an_existing_database_as_it_was(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    with convstore.connect(url) as store:
        store.create_conversation("ana", title="kept")
    assert main(["export", "--user", "ana", "--url", url]) == 0
    assert '"title": "kept"' in capsys.readouterr().out
