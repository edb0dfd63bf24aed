"""The runner's verbs -- ``run``, ``run_one``, ``stream``, ``copy_rows`` -- on
both databases: every statement of the package is sent through them, so each
is bound, traced and has its driver errors translated in one place."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import convstore
from convstore.db.base import FETCH_SIZE
from convstore.errors import ConfigurationError, ConvstoreError, InvalidInput
from convstore.sqlfiles.catalog import catalogue, queries_of
from convstore.sqlfiles.parser import load_query
from convstore.types import POSTGRES, SQLITE

TEST_SQL = Path(__file__).parent / "sql"


def _test_query(store, name):
    return load_query(TEST_SQL / f"{name}_{store.dialect}.sql", store.dialect, name)


def test_run_one_gives_the_row_or_none(store, user):
    conversation_id = store.create_conversation(user, title="one")
    found = store.database.run_one(
        "get_conversation", conversation_id=conversation_id, user_id=None
    )
    assert found["title"] == "one"
    missing = store.database.run_one(
        "get_conversation", conversation_id=str(uuid.uuid4()), user_id=None
    )
    assert missing is None


def test_stream_gives_every_row_converted_as_run_does(store):
    counting = _test_query(store, "counting")
    rows_wanted = 2 * FETCH_SIZE + 7
    with store.database.stream(counting, n=rows_wanted) as rows:
        streamed = list(rows)
    assert streamed == store.database.run(counting, n=rows_wanted)
    assert [row["n"] for row in streamed] == list(range(1, rows_wanted + 1))


def test_stream_is_traced_and_binds_like_run(store):
    seen = []
    counting = _test_query(store, "counting")
    with store.tracer(lambda statement, params: seen.append((statement, dict(params)))):
        with store.database.stream(counting, n=3) as rows:
            assert len(list(rows)) == 3
    assert any("counting" in statement and params == {"n": 3} for statement, params in seen), seen
    with pytest.raises(TypeError, match="missing: n"):
        with store.database.stream(counting):
            pass


def test_a_stream_left_early_releases_its_connection(store):
    counting = _test_query(store, "counting")
    for _ in range(20):  # more than the pool holds: a leaked connection would block
        with store.database.stream(counting, n=3 * FETCH_SIZE) as rows:
            assert next(rows)["n"] == 1
    assert not store.database.in_transaction()
    assert store.database.run_one(counting, n=1) == {"n": 1, "square": 1}


def test_an_error_raised_while_rows_are_read_is_translated(store):
    """The failing row comes after the first fetched chunk: the error is
    raised by the driver while the caller iterates, and arrives typed."""
    failing = _test_query(store, "failing_at")
    read = []
    with pytest.raises(ConvstoreError) as raised:
        with store.database.stream(failing, bad=FETCH_SIZE + 10) as rows:
            for row in rows:
                read.append(row["n"])
    assert read[:FETCH_SIZE] == list(range(1, FETCH_SIZE + 1))
    expected = InvalidInput if store.dialect == POSTGRES else convstore.DatabaseError
    assert isinstance(raised.value, expected), raised.value
    assert store.database.run_one(_test_query(store, "counting"), n=1)["n"] == 1


def test_a_stream_inside_a_transaction_reads_what_the_transaction_wrote(store, user):
    with store.transaction():
        conversation_id = store.create_conversation(user, title="uncommitted")
        with store.database.stream(
            "get_conversation", conversation_id=conversation_id, user_id=None
        ) as rows:
            assert [row["title"] for row in rows] == ["uncommitted"]


def test_copy_rows_sends_rows_to_a_copy_statement(postgres_url, user):
    copy = load_query(TEST_SQL / "copy_conversation_titles.sql", POSTGRES, "copy_titles")
    ids = [str(uuid.uuid4()) for _ in range(3)]
    seen = []
    with convstore.connect(postgres_url, tracer=lambda s, p: seen.append(s)) as store:
        sent = store.database.copy_rows(copy, ((i, user, f"copied {i}") for i in ids))
        assert sent == 3
        assert [store.get_conversation(i)["title"] for i in ids] == [f"copied {i}" for i in ids]
        assert any("sql/postgres/copy_titles.sql" in statement for statement in seen)
        with pytest.raises(InvalidInput):  # a duplicate key: nothing of the COPY is stored
            store.database.copy_rows(copy, [(str(uuid.uuid4()), user, "new"), (ids[0], user, "x")])
        for unsendable in ("a\x00b", "a\ud800", {"a": 1}):  # refused before the COPY ends
            with pytest.raises(InvalidInput, match="cannot be sent"):
                store.database.copy_rows(
                    copy, [(str(uuid.uuid4()), user, "fine"), (str(uuid.uuid4()), user, unsendable)]
                )
        assert len(store.list_conversations(user, limit=10)) == 3


def test_copy_rows_on_sqlite_is_a_clear_error_before_anything_is_sent(sqlite_url):
    copy = load_query(TEST_SQL / "copy_conversation_titles.sql", SQLITE, "copy_titles")
    seen = []
    with convstore.connect(sqlite_url, tracer=lambda s, p: seen.append(s)) as store:
        with pytest.raises(ConfigurationError, match="sqlite has no COPY"):
            store.database.copy_rows(copy, [])
    assert seen == []


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRES])
def test_the_catalogue_holds_every_statement_once_under_its_namespace(dialect):
    statements = catalogue(dialect)
    public = queries_of(dialect)
    assert set(public) <= set(statements)
    namespaced = set(statements) - set(public)
    # SQLite files read by importers (Citus's statements: citus_catalogue)
    dialect_own = {"llm"} if dialect == SQLITE else set()
    assert {name.split(".")[0] for name in namespaced} == {
        "transfer",
        "legacy",
        "migrate",
        "langgraph",
        *dialect_own,
    }
    assert statements["migrate.take_migration_lock"].statement.startswith(
        f"/* convstore: sql/{dialect}/migrate/take_migration_lock.sql */"
    )


def test_the_store_runs_public_queries_only(store):
    """Namespaced statements (the migrations', the transfer's) are the
    package's own; the Store's run and convstore.queries do not offer them."""
    with pytest.raises(InvalidInput, match="one of convstore's own statements"):
        store.run("migrate.migration_lock")
    assert "migrate.migration_lock" not in convstore.queries.names()
    assert not hasattr(convstore.queries, "transfer.copy_messages")


def test_calls_in_a_stream_block_commit_on_their_own(store, user):
    """A stream outside a transaction reads on a connection of its own: a
    write in its block is not part of its read transaction, so an error
    later in the block does not undo it, and a write transaction opened in
    the block is a real one."""
    counting = _test_query(store, "counting")
    with pytest.raises(RuntimeError):
        with store.database.stream(counting, n=3) as rows:
            next(rows)
            conversation_id = store.create_conversation(user, title="kept")
            with store.transaction():
                store.add_message(conversation_id, "user", "also kept")
            raise RuntimeError("the block fails after its writes")
    assert store.get_conversation(conversation_id)["title"] == "kept"
    assert [m["content"] for m in store.get_messages(conversation_id)] == ["also kept"]


def test_a_stream_read_from_other_threads_closes_cleanly(store):
    """As Starlette drains a synchronous generator (``iterate_in_threadpool``):
    every step, the first (which opens the stream) and the last (which
    closes it) included, may run in another worker thread."""
    from concurrent.futures import ThreadPoolExecutor

    counting = _test_query(store, "counting")

    def numbers():
        with store.database.stream(counting, n=FETCH_SIZE + 5) as rows:
            for row in rows:
                yield row["n"]

    def step_in_a_new_thread(generator):
        with ThreadPoolExecutor(1) as worker:
            return worker.submit(next, generator, None).result()

    read = []
    generator = numbers()
    while (number := step_in_a_new_thread(generator)) is not None:
        read.append(number)
    assert read == list(range(1, FETCH_SIZE + 6))
    assert store.database.run_one(counting, n=1) == {"n": 1, "square": 1}


def test_run_one_refuses_a_statement_of_several_rows(store):
    with pytest.raises(TypeError, match="returned 2 rows, not one"):
        store.database.run_one(_test_query(store, "counting"), n=2)


def test_stream_refuses_a_statement_that_writes(store, user):
    conversation_id = store.create_conversation(user)
    with pytest.raises(TypeError, match="delete_conversation writes"):
        with store.database.stream("delete_conversation", conversation_id=conversation_id):
            pass
    assert store.get_conversation(conversation_id) is not None


def test_statements_on_bare_connections_are_logged_by_name(sqlite_url, caplog):
    """The migrations' statements run on yoyo's connections, not a store's."""
    import logging

    with caplog.at_level(logging.DEBUG, logger="convstore"):
        convstore.migrate(sqlite_url)
    assert "running migrate.applied_migrations ()" in caplog.text
