"""The SQL files: both dialects agree, headers document them, the loader parses
them right, and the files run unchanged in each database's own shell."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sqlite3
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest

import convstore
from convstore import queries
from convstore.errors import QueryFileError
from convstore.sqlfiles.catalog import (
    catalogue,
    citus_catalogue,
    is_public,
    queries_of,
    report_names,
)
from convstore.sqlfiles.parser import load_query
from convstore.types import POSTGRES, SQLITE


def test_both_dialects_hold_the_same_queries_with_the_same_parameters():
    sqlite_queries, postgres_queries = queries_of(SQLITE), queries_of(POSTGRES)
    assert sorted(sqlite_queries) == sorted(postgres_queries)
    for name, query in sqlite_queries.items():
        assert set(query.parameters) == set(postgres_queries[name].parameters), name


SQL = Path(convstore.__file__).resolve().parent.parent / "sql"


def _files(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.sql"))


def test_the_dialects_folders_hold_the_same_files_with_the_same_parameters():
    """sql/sqlite/ and sql/postgres/ hold the same files, subfolders included;
    the transfer, which goes one way, lives apart in sql/transfer/<dialect>/,
    and the readers of foreign SQLite files in sql/sources/<source>/."""
    assert _files(SQL / SQLITE) == _files(SQL / POSTGRES)
    sqlite_statements, postgres_statements = catalogue(SQLITE), catalogue(POSTGRES)
    apart = (SQL / "transfer", SQL / "sources")
    for name, statement in sqlite_statements.items():
        if not any(statement.path.is_relative_to(folder) for folder in apart):
            assert set(statement.parameters) == set(postgres_statements[name].parameters), name


def test_the_transfers_sides_are_apart_and_share_no_name():
    sources = {f"transfer.{Path(f).stem}" for f in _files(SQL / "transfer" / SQLITE)}
    destinations = {f"transfer.{Path(f).stem}" for f in _files(SQL / "transfer" / POSTGRES)}
    assert sources and destinations and not sources & destinations
    assert {n for n in catalogue(SQLITE) if n.startswith("transfer.")} == sources
    assert {n for n in catalogue(POSTGRES) if n.startswith("transfer.")} == destinations


def _public_queries_of_each_catalogue():
    """SQLite's, PostgreSQL's and Citus's (its versions of PostgreSQL's)."""
    yield from queries_of(SQLITE).items()
    yield from queries_of(POSTGRES).items()
    versions = citus_catalogue().items()
    yield from ((n, q) for n, q in versions if is_public(n) and q.path.parent.name == "citus")


def test_every_header_says_what_it_returns_each_parameter_and_its_index():
    for _, query in _public_queries_of_each_catalogue():
        assert query.description, f"{query.path} has no header comment"
        for parameter in query.parameters:
            assert re.search(rf"^:{parameter}\b", query.description, re.M), (
                f"{query.path} does not document :{parameter}"
            )
        assert "Index:" in query.description, f"{query.path} does not name its index"


SAMPLE_BRANCH_ID = str(uuid.uuid4())
SAMPLE_BYTES = bytes(range(256)) * 8  # an attachment: 2 KiB, over attachments.MIN_BYTES
SAMPLE_SHA256 = hashlib.sha256(SAMPLE_BYTES).hexdigest()
UNREFERENCED_BYTES = SAMPLE_BYTES[::-1]
UNREFERENCED_SHA256 = hashlib.sha256(UNREFERENCED_BYTES).hexdigest()
SAMPLE_IMAGE = {
    "type": "image_url",
    "image_url": {"url": "data:image/png;base64," + base64.b64encode(SAMPLE_BYTES).decode()},
}


def _sample_parameters(query, user, conversation_id):
    samples = {
        "id": str(uuid.uuid4()),
        "conversation_id": conversation_id,
        "user_id": user,
        "title": "sample",
        "metadata": "{}",
        "role": "user",
        "content": "sample",
        "limit": 5,
        "max_bytes": 4_000_000,
        "max_tokens": 1000,
        "query": "sample",
        "text": "sample",
        "seq": 1,
        "tokens": 5,
        "pinned": False,
        "keep_tool_groups": True,
        "idempotency_key": "sample-key",
        "idempotency_keys": json.dumps(["sample-key"]),
        "cutoff": "2999-01-01T00:00:00+00:00",
        "after_id": "00000000-0000-0000-0000-000000000000",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "batch_size": 1,
        "set_title": True,
        "after_seq": 0,
        "seqs": "[999]",  # none: delete_message still has its sample message
        "messages": json.dumps(
            [
                {
                    "role": "user",
                    "content": "x",
                    "pinned": False,
                    "metadata": "{}",
                    "extra": "{}",
                    "tokens_estimated": False,
                }
            ]
        ),
        "at_seq": 1,
        "fork_seq": 1,
        "parent_id": conversation_id,
        "branch_id": SAMPLE_BRANCH_ID,
        "messages_through": 1,
        "tokens_through": 100,
        "pinned_tokens_through": 0,
        "ids": json.dumps([conversation_id]),
        "last_seq": 1,
        "extra": "{}",
        "tokens_estimated": False,
        "sha256": SAMPLE_SHA256,
        "sha256s": json.dumps([SAMPLE_SHA256]),
        "media_type": "image/png",
        "data": SAMPLE_BYTES,
        "links": json.dumps([{"seq": 1, "sha256": SAMPLE_SHA256}]),
        "user_ids": json.dumps([user]),
        "unreferenced": json.dumps([{"user_id": user, "sha256": UNREFERENCED_SHA256}]),
    }
    if query.name == "create_branch":  # the branch create_branch_ancestors then records
        samples.update(id=SAMPLE_BRANCH_ID)
    if query.name == "import_message":  # a seq and a key of its own, or it conflicts
        samples.update(seq=999, idempotency_key=None)
    if query.name == "replace_message":  # keeps the key of the message it replaces
        samples.update(idempotency_key=None)
    deltas = {"delta", "unpinned_tokens_delta", "pinned_tokens_delta", "message_count_delta"}
    return {name: 0 if name in deltas else samples.get(name) for name in query.parameters}


REPORTS = set(report_names(SQLITE))  # their rows are checked against the shells elsewhere
# Session plumbing, run outside transactions (the pool on each new session, a lent
# connection afterwards): tests/test_isolation.py covers them.
SESSION_SCOPE = {"claim_scope_key", "set_session_user_scope", "reset_session"}
DELETES_CONVERSATIONS = {
    "delete_conversation",
    "delete_conversation_tree",
    "purge_listed_conversations",
    "delete_user_conversations",
    "purge_conversations",
}


def _deletes_last(name):
    return (name in DELETES_CONVERSATIONS, name.startswith("delete"), name)


def _returns_rows(query):
    """A SELECT (also ... FOR UPDATE, or after WITH), a read WITH, or a write
    that RETURNs (its own RETURNING, not a CTE's)."""
    outside = _outside_parentheses(query.sql)  # a CTE's body is in parentheses
    main = re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|COPY)\b", outside)
    return "RETURNING" in outside or (main and main[1] == "SELECT") or not query.writes


def _outside_parentheses(sql):
    depth, kept = 0, []
    for character in sql:
        depth += {"(": 1, ")": -1}.get(character, 0)
        kept.append(character if depth == 0 else " ")
    return "".join(kept)


def test_both_dialects_return_the_same_columns(postgres_url, sqlite_url, user):
    import convstore

    columns = {}
    for url in (sqlite_url, postgres_url):
        with convstore.connect(url) as store:
            conversation_id = store.create_conversation(user)
            store.add_message(conversation_id, "user", "sample")
            store.add_message(conversation_id, "user", [SAMPLE_IMAGE])  # a stored attachment
            store.run(  # and one no message references
                "store_attachment",
                conversation_id=conversation_id,
                sha256=UNREFERENCED_SHA256,
                media_type="image/png",
                data=UNREFERENCED_BYTES,
            )
            with pytest.raises(RuntimeError), store.transaction():  # leave nothing behind
                for name in sorted(
                    set(queries.names()) - REPORTS - SESSION_SCOPE, key=_deletes_last
                ):
                    if name in DELETES_CONVERSATIONS:  # each gets a conversation to delete
                        conversation_id = store.create_conversation(user)
                    query = store.database.queries[name]
                    rows = store.run(name, **_sample_parameters(query, user, conversation_id))
                    if _returns_rows(query):
                        assert rows, f"{query.path} returned no row for the sample"
                        columns.setdefault(name, []).append(list(rows[0]))
                raise RuntimeError("roll back")
    for name, (sqlite_columns, postgres_columns) in columns.items():
        assert sqlite_columns == postgres_columns, name


def test_statements_name_their_file_first():
    for name, query in _public_queries_of_each_catalogue():
        where = query.path.relative_to(
            query.path.parents[2 if "reports" in query.path.parts else 1]
        )
        assert query.statement.startswith(f"/* convstore: sql/{where} */\n"), name


def _write(tmp_path, text):
    path = tmp_path / "sample.sql"
    path.write_text(text)
    return path


def test_psycopg_conversion_leaves_casts_literals_and_comments_alone(tmp_path):
    path = _write(
        tmp_path,
        "-- header :not_a_parameter\n"
        "SELECT :a::int, ':b', \"col:c\", $$ :d $$, $tag$ :e $tag$, -- :f\n"
        "       /* :g 50% */ 'x%' || :a, :h_2 -- trailing\n",
    )
    query = load_query(path, POSTGRES, "sample")
    assert query.parameters == ("a", "h_2")
    assert query.statement.splitlines()[1:] == [
        "SELECT %(a)s::int, ':b', \"col:c\", $$ :d $$, $tag$ :e $tag$, -- :f",
        "       /* :g 50%% */ 'x%%' || %(a)s, %(h_2)s -- trailing",
    ]
    assert query.description == "header :not_a_parameter"


def test_sqlite_statements_keep_their_named_parameters(tmp_path):
    query = load_query(_write(tmp_path, "SELECT :a, '50%'"), SQLITE, "sample")
    assert query.parameters == ("a",)
    assert query.statement.endswith("SELECT :a, '50%'")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("-- only a comment\n", "no SQL statement"),
        ("-- header\nSELECT 1;\nSELECT 2;\n", ":3: one statement per query file"),
        ("-- header\n\nSELECT 'open\n", ":3: unterminated"),
        ("SELECT 1 /* never closed", ":1: unterminated"),
    ],
)
def test_loader_names_the_file_and_line_it_cannot_parse(tmp_path, text, complaint):
    path = _write(tmp_path, text)
    with pytest.raises(QueryFileError, match=re.escape(f"{path}") + ".*" + re.escape(complaint)):
        load_query(path, POSTGRES, "sample")


def test_a_semicolon_inside_a_literal_is_not_a_second_statement(tmp_path):
    query = load_query(_write(tmp_path, "SELECT ';' AS a, 'it''s' AS b;\n"), POSTGRES, "sample")
    assert query.parameters == ()


def test_wrong_parameters_are_a_programming_error(store):
    with pytest.raises(TypeError, match="missing: keep_tool_groups, max_tokens; unknown: budget"):
        queries.recent_context(store, conversation_id=str(uuid.uuid4()), budget=5)


# -- the files run unchanged in the databases' own shells -----------------------------------


def _seed(store, user):
    conversation_id = store.create_conversation(user, title="shell")
    for tokens in (40, 30, 20, 10):
        store.add_message(conversation_id, "user", f"t{tokens} it's 100%", tokens=tokens)
    return conversation_id


def test_psql_runs_the_files_as_written(postgres_url, user):
    import convstore

    with convstore.connect(postgres_url) as store:
        conversation_id = _seed(store, user)
        expected = queries.recent_context(
            store, conversation_id=conversation_id, max_tokens=35, keep_tool_groups=True
        )
        path = store.database.queries["recent_context"].path  # on Citus, sql/citus/'s
    shell = subprocess.run(
        [
            "psql",
            postgres_url,
            "-X",
            "-A",
            "-t",
            "-F",
            "|",
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            f"conversation_id='{conversation_id}'",
            "-v",
            "max_tokens=35",
            "-v",
            "keep_tool_groups=true",
            "-v",
            "user_id=NULL",
            "-f",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    seqs = [int(line.split("|")[1]) for line in shell.stdout.splitlines() if line]
    assert seqs == [m["seq"] for m in expected] == [3, 4]


def test_sqlite3_shell_runs_the_files_as_written(sqlite_url, user):
    """Every file runs in the sqlite3 shell as written, except the ones that
    call a function convstore registers on its own connections (README, "The
    SQL files"): those fail there by name, never answer differently."""
    import convstore

    with convstore.connect(sqlite_url) as store:
        conversation_id = _seed(store, user)
        expected = queries.list_conversations(store, user_id=user, limit=5)
    database_file = sqlite_url.removeprefix("sqlite:///")

    def shell(query, parameters):
        script = "".join(f".parameter set :{name} {value}\n" for name, value in parameters)
        return subprocess.run(
            ["sqlite3", "-batch", database_file],
            input=script + f".read {query.query(SQLITE).path}\n",
            capture_output=True,
            text=True,
        )

    ran = shell(queries.list_conversations, [("user_id", f"'{user}'"), ("limit", 5)])
    found = [line.split("|")[0] for line in ran.stdout.splitlines() if line]
    assert found == [c["id"] for c in expected] == [conversation_id], ran.stderr
    for query, function in (
        (queries.find_messages, "convstore_lower"),
        (queries.messages_by_metadata, "convstore_json_contains"),
    ):
        parameters = [("user_id", f"'{user}'"), ("text", "\"'100%'\""), ("metadata", "\"'{}'\"")]
        ran = shell(query, [*parameters, ("limit", 5)])
        assert f"no such function: {function}" in ran.stderr


def test_queries_accept_a_bare_connection_or_a_pool(postgres_url, sqlite_url, user):
    from psycopg_pool import ConnectionPool

    import convstore

    with convstore.connect(postgres_url) as store:
        conversation_id = _seed(store, user)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        stats = queries.conversation_stats(
            connection, conversation_id=conversation_id, user_id=None
        )
    assert stats[0]["message_count"] == 4
    with ConnectionPool(postgres_url, min_size=1, open=True) as pool:
        listed = queries.list_conversations(pool, user_id=user, limit=5)
    assert [c["id"] for c in listed] == [conversation_id]

    with convstore.connect(sqlite_url) as store:
        conversation_id = _seed(store, user)
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        context = queries.recent_context(
            connection,
            conversation_id=conversation_id,
            max_tokens=35,
            keep_tool_groups=True,
            user_id=None,
        )
    finally:
        connection.close()
    assert [m["seq"] for m in context] == [3, 4]
    assert context[0]["created_at"].tzinfo is not None


def test_a_report_named_like_a_query_is_refused(tmp_path):
    """One name would silently hide the other file."""
    from convstore.sqlfiles.catalog import queries_in

    (tmp_path / "reports").mkdir()
    for path in (tmp_path / "totals.sql", tmp_path / "reports" / "totals.sql"):
        path.write_text("-- Totals.\nSELECT 1 AS one;\n", encoding="utf-8")
    with pytest.raises(QueryFileError, match=r"reports/totals\.sql: a query named 'totals'"):
        queries_in(tmp_path, SQLITE)
    (tmp_path / "reports" / "totals.sql").rename(tmp_path / "reports" / "daily_totals.sql")
    assert sorted(queries_in(tmp_path, SQLITE)) == ["daily_totals", "totals"]


def test_a_file_name_with_a_dot_is_refused(tmp_path):
    """The dot separates a namespace: 'a.b.sql' would be a query no one can call."""
    from convstore.sqlfiles.catalog import queries_in

    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "daily.totals.sql").write_text("-- Totals.\nSELECT 1 AS one;\n")
    with pytest.raises(QueryFileError, match="has no dot"):
        queries_in(tmp_path, SQLITE)
