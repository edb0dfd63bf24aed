"""``convstore import`` indexes what it stored for search at the end. Every
conversation is stored by then: a failure there is a warning (exit 0), Ctrl-C
there says so (exit 130), and neither advises importing again."""

from __future__ import annotations

import io
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

import convstore
from convstore.cli.commands import main
from convstore.transfer.jsonl import export_conversations

from .cli_support import ctrl_c, running, wait_until
from .conftest import login_url

CONVSTORE = str(Path(sys.executable).parent / "convstore")


def _export(tmp_path: Path, user: str, conversations: int = 3) -> Path:
    """A JSONL export of ``conversations`` of ``user``'s, one message each."""
    out = io.StringIO()
    with convstore.connect(f"sqlite:///{tmp_path / 'source.db'}") as store:
        for n in range(conversations):
            conversation_id = store.create_conversation(user)
            store.add_message(conversation_id, "user", f"zebra {n}")
        export_conversations(store, user, out)
    path = tmp_path / "export.jsonl"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def cannot_index_url(postgres_url):
    """The scratch database as a role that may import, but may update every
    column of messages except search_vector, so it cannot index them for
    search (and may read which migrations are applied, so that the command
    line can check)."""
    role = f"convstore_noindex_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        columns = admin.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'messages' AND column_name <> 'search_vector'"
        ).fetchall()
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        admin.execute(
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON conversations, conversation_ancestors, "
                "attachments, message_attachments TO {0}; "
                "GRANT SELECT, INSERT, DELETE, UPDATE ({1}) ON messages TO {0}; "
                "GRANT SELECT ON conversation_segments, _yoyo_migration TO {0}"
            ).format(
                sql.Identifier(role), sql.SQL(", ").join(sql.Identifier(c) for (c,) in columns)
            )
        )
    yield login_url(postgres_url, role)
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_indexing_that_fails_after_the_import_is_a_warning(
    tmp_path, user, cannot_index_url, capsys
):
    export = _export(tmp_path, user)
    assert main(["--url", cannot_index_url, "import", str(export)]) == 0
    out, err = capsys.readouterr()
    assert out == "imported 3 new conversations, 3 new messages\n"
    assert err.startswith(
        "convstore: 3 new conversations, 3 new messages are stored; "
        "indexing them for search stopped (DatabaseError: "
    ), err
    assert err.endswith("searches find them meanwhile and index the rest as they run\n"), err
    assert "import the file again" not in err
    with convstore.connect(cannot_index_url) as store:
        assert len(store.search_messages(user, "zebra")) == 3


def test_ctrl_c_while_indexing_says_everything_is_stored(tmp_path, user, postgres_url):
    """Another session holds the user's turn to index, so the import keeps
    trying for it until Ctrl-C."""
    export = _export(tmp_path, user)
    with convstore.connect(postgres_url) as other, other.transaction():
        assert other.run("claim_search_indexing", user_id=user)[0]["claimed"]
        with running([CONVSTORE, "--url", postgres_url, "import", str(export)]) as process:
            wait_until(process, lambda: _stored_messages(postgres_url, user) == 3)
            time.sleep(1)  # past the last commit, trying for the turn (every 0.05 s)
            out, err = ctrl_c(process)
    assert process.returncode == 130, err
    assert out == ""
    assert err == (
        "convstore: interrupted while indexing for search; 3 new conversations, "
        "3 new messages are stored: searches find them meanwhile and index the rest as they run\n"
    )
    with convstore.connect(postgres_url) as store:
        assert store.get_user_stats(user)["messages"] == 3


def _stored_messages(url: str, user: str) -> int:
    with convstore.connect(url) as store:
        return store.get_user_stats(user)["messages"]
