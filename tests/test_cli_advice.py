"""What a failing command says: the failing side and its URL, and a fix that
fits the failure; chat checks its model settings before it touches the database."""

from __future__ import annotations

import io
import json
from urllib.parse import urlsplit

import pytest

import convstore
from convstore.cli import main
from convstore.errors import DatabaseError, DatabaseUnavailable
from convstore.transfer.jsonl import export_conversations

from .cli_support import one_line

pytestmark = pytest.mark.usefixtures("no_configured_database")


def test_chat_without_a_key_fails_before_creating_the_database(tmp_path, capsys):
    assert main(["--url", "new.db", "chat"]) == 1
    assert "OPENAI_API_KEY is not set" in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_chat_names_a_base_url_that_is_not_a_server(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", "not a url")
    assert main(["--url", "new.db", "chat"]) == 1
    line = one_line(capsys.readouterr().err)
    assert "OPENAI_BASE_URL 'not a url' is not a server's URL" in line
    assert list(tmp_path.iterdir()) == []


def test_chat_hides_a_password_in_the_base_url(monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", "ftp://u:hunter2@h/v1")
    assert main(["--url", "new.db", "chat"]) == 1
    line = one_line(capsys.readouterr().err)
    assert "hunter2" not in line and "ftp://u:***@h/v1" in line


def test_import_legacy_names_the_source_that_cannot_be_reached(postgres_url, capsys):
    parts = urlsplit(postgres_url)
    source = parts._replace(netloc=f"{parts.username}:hunter2@{parts.hostname}:1").geturl()
    assert main(["import-legacy", source, "--to", "imported.db"]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith(
        f"convstore: DatabaseUnavailable: cannot open the source "
        f"{parts.scheme}://{parts.username}:***@{parts.hostname}:1{parts.path}: "
    )
    assert "hunter2" not in line


def _one_new_line(tmp_path) -> str:
    with convstore.connect(f"sqlite:///{tmp_path / 'source.db'}") as store:
        conversation_id = store.create_conversation("ana", title="trip")
        store.add_message(conversation_id, "user", "hello", tokens=2)
        out = io.StringIO()
        export_conversations(store, "ana", out)
    path = tmp_path / "ana.jsonl"
    path.write_text(out.getvalue())
    return str(path)


@pytest.mark.parametrize(
    ("error", "then"),
    [
        (DatabaseUnavailable("the server went away"), "import the file again later"),
        (
            DatabaseError("disk I/O error"),
            "import the file again once the database error is resolved",
        ),
    ],
)
def test_a_database_failure_is_not_blamed_on_the_line(tmp_path, monkeypatch, capsys, error, then):
    path = _one_new_line(tmp_path)

    def failing(store, entries, **options):
        raise error
        yield  # a generator, as import_source is

    monkeypatch.setattr("convstore.cli.commands.import_source", failing)
    assert main(["--url", "target.db", "import", path]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.endswith(f"nothing was imported, nothing of it or after it: {then}")
    assert "fix it" not in line


def test_a_wrong_line_is_still_to_be_fixed(tmp_path, capsys):
    path = tmp_path / "wrong.jsonl"
    path.write_text(json.dumps({"messages": []}) + "\n")
    assert main(["--url", "target.db", "import", str(path)]) == 1
    assert one_line(capsys.readouterr().err).endswith("fix it and import the file again")
