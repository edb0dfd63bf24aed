"""A user's view cannot be escaped: not by arguments, not by the raw
connection's SQL, not by nesting in transactions, and no row attaches to
another user's conversation -- on SQLite, on PostgreSQL as an application
role and as the tables' owner."""

from __future__ import annotations

import contextvars
import io
import sqlite3
import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

import convstore
from convstore import InvalidInput, NotFound, queries
from convstore.sqlfiles.parser import load_query
from convstore.transfer.jsonl import export_conversations, import_conversations

from .conftest import login_url, migrated_url

TEST_SQL = Path(__file__).resolve().parent / "sql"


@pytest.fixture
def people(store, user):
    """alice and bob, each with a conversation holding one message."""
    alice, bob = f"{user}-alice", f"{user}-bob"
    alices = store.create_conversation(alice, title="alice's")
    bobs = store.create_conversation(bob, title="bob's")
    store.add_message(alices, "user", "alice's words", tokens=5)
    store.add_message(bobs, "user", "bob's secret", tokens=5)
    return alice, alices, bob, bobs


# -- arguments never widen a view ---------------------------------------------------------


def test_explicit_user_ids_cannot_override_a_view(store, people):
    alice, alices, bob, bobs = people
    bob_view = store.for_user(bob)
    with pytest.raises(InvalidInput, match="limited to user"):
        queries.list_conversations(bob_view, user_id=alice, limit=5)
    with pytest.raises(InvalidInput, match="limited to user"):
        bob_view.run("get_conversation", conversation_id=alices, user_id=alice)
    # None means "the view's user", never "any owner".
    assert bob_view.run("get_conversation", conversation_id=alices, user_id=None) == []
    assert queries.conversation_messages(bob_view, conversation_id=alices, user_id=None) == []
    assert [c["id"] for c in queries.list_conversations(bob_view, user_id=None, limit=5)] == [bobs]


def test_a_views_user_listing_lists_its_user_only(store, people):
    alice, alices, bob, bobs = people
    bob_view = store.for_user(bob)
    assert [found["user_id"] for found in bob_view.list_users()] == [bob]
    assert [found["user_id"] for found in queries.list_users(bob_view, user_id=None, limit=5)] == [
        bob
    ]
    with pytest.raises(InvalidInput, match="limited to user"):
        queries.list_users(bob_view, user_id=alice, limit=5)


def test_every_query_run_through_a_view_is_limited_to_its_user(store, people):
    alice, alices, bob, bobs = people
    bob_view = store.for_user(bob)
    # Per-conversation statements without a user in their names: limited all the same.
    assert bob_view.run("delete_message", conversation_id=alices, seq=1) == []
    assert bob_view.run("message_tokens", conversation_id=alices, seq=1) == []
    assert (
        bob_view.run(
            "set_message_tokens", conversation_id=alices, seq=1, tokens=1, tokens_estimated=False
        )
        == []
    )
    bob_view.run("shift_tokens_before", conversation_id=alices, seq=0, delta=7)
    bob_view.run(
        "adjust_conversation_totals",
        conversation_id=alices,
        unpinned_tokens_delta=7,
        pinned_tokens_delta=0,
        message_count_delta=3,
    )
    imported = bob_view.run(
        "import_message",
        conversation_id=alices,
        seq=2,
        role="user",
        content="planted",
        tool_calls=None,
        tool_call_id=None,
        name=None,
        tokens=None,
        latency_ms=None,
        pinned=False,
        metadata="{}",
        idempotency_key=None,
        created_at="2026-01-01T00:00:00+00:00",
        kind=None,
        payload=None,
        fingerprint=None,
        content_parts=None,
        function_call=None,
        refusal=None,
        weight=None,
        extra="{}",
        tokens_estimated=False,
    )
    assert imported == []
    replaced = bob_view.run(
        "replace_message",
        conversation_id=alices,
        seq=1,
        role="user",
        content="rewritten",
        tool_calls=None,
        tool_call_id=None,
        name=None,
        tokens=1,
        latency_ms=None,
        pinned=False,
        metadata="{}",
        idempotency_key=None,
        kind=None,
        payload=None,
        fingerprint=None,
        content_parts=None,
        function_call=None,
        refusal=None,
        weight=None,
        extra="{}",
        tokens_estimated=False,
    )
    assert replaced == []
    assert bob_view.run("messages_after_totals", conversation_id=alices, after_seq=0) == [
        {"messages": 0, "unpinned_tokens": 0, "pinned_tokens": 0, "attachments": 0}
    ]
    bob_view.run("delete_messages_after", conversation_id=alices, after_seq=0)
    listed = {"conversation_id": alices, "seqs": "[1]"}
    assert bob_view.run("listed_messages_totals", **listed) == [
        {"messages": 0, "unpinned_tokens": 0, "pinned_tokens": 0, "attachments": 0}
    ]
    bob_view.run("shift_tokens_before_listed", **listed)
    bob_view.run("delete_listed_messages", **listed)
    assert bob_view.run("message_fingerprints", conversation_id=alices) == []
    assert (
        bob_view.run(
            "update_conversation",
            conversation_id=alices,
            set_title=True,
            title="taken",
            metadata='{"owner": "bob"}',
            extra='{"owner": "bob"}',
        )
        == []
    )
    bob_view.run("recount_conversation", conversation_id=alices, updated_at="2000-01-01T00:00:00Z")
    with pytest.raises(InvalidInput, match="spans every user"):
        bob_view.run("purge_conversations", cutoff="2999-01-01T00:00:00Z", batch_size=10)

    conversation = store.get_conversation(alices)
    assert [m["content"] for m in conversation["messages"]] == ["alice's words"]
    assert conversation["messages"][0]["tokens"] == 5
    assert conversation["message_count"] == 1
    assert store.get_conversation_stats(alices)["total_tokens"] == 5
    assert store.get_recent_context(alices, max_tokens=10)[0]["suffix_tokens"] == 5


def test_jsonl_through_a_view_stays_with_its_user(store, people):
    alice, alices, bob, bobs = people
    bob_view = store.for_user(bob)
    out = io.StringIO()
    with pytest.raises(InvalidInput, match="limited to user"):
        export_conversations(bob_view, alice, out)
    assert out.getvalue() == ""

    exported = io.StringIO()
    export_conversations(store, alice, exported)
    with pytest.raises(InvalidInput, match="limited to user"):
        import_conversations(bob_view, exported.getvalue().splitlines())
    assert [m["content"] for m in store.get_messages(alices)] == ["alice's words"]


# -- a message never attaches to another user's conversation ----------------------------


def _plant_message(connection, conversation_id: str, user_id: str) -> None:
    """A raw INSERT of the seq the owner's next append needs, claiming another owner."""
    placeholder = "?" if isinstance(connection, sqlite3.Connection) else "%s"
    statement = (
        "INSERT INTO messages (conversation_id, seq, user_id, role, content, tokens_before) "
        f"VALUES ({placeholder}, 2, {placeholder}, 'user', 'planted', 0)"
    )
    connection.execute(statement, (conversation_id, user_id))


def test_raw_sql_cannot_attach_a_message_to_another_users_conversation(store, people):
    alice, alices, bob, bobs = people
    with pytest.raises(convstore.ConvstoreError), store.for_user(alice).connection() as connection:
        try:
            _plant_message(connection, bobs, alice)
        except (sqlite3.Error, psycopg.Error) as error:
            raise convstore.DatabaseError(str(error)) from error
    # bob's next append gets the seq that the planted row tried to take.
    assert store.add_message(bobs, "assistant", "still mine")["seq"] == 2
    assert [m["content"] for m in store.get_messages(bobs)] == ["bob's secret", "still mine"]


# -- row-level security that SQL on the connection cannot lift (PostgreSQL) ---------------


@pytest.fixture
def owner_url(scratch_databases, postgres_url):
    """A database migrated by a role that owns its tables and is no superuser."""
    role = f"convstore_owner_{uuid.uuid4().hex[:8]}"
    url = scratch_databases.create()
    database = urlsplit(url).path[1:]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        admin.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(database), sql.Identifier(role)
            )
        )
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(role)))
    owner = login_url(url, role)
    convstore.migrate(owner)
    yield owner
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


ESCAPES = [
    "SELECT set_config('convstore.user_id', '', true)",
    "SELECT set_config('convstore.user_id', %(bob)s, true)",
    "SELECT set_config('convstore.user_id', %(bob)s, false)",
    "RESET ALL",
    "COMMIT",
    "ROLLBACK",
    "CREATE TEMP TABLE convstore_session_scopes (backend_pid integer, user_id text)",
]


def _bobs_rows_seen(view, bob: str, escape: str) -> list:
    with view.connection() as connection:
        try:
            connection.execute(escape, {"bob": bob})
        except psycopg.Error:
            pass
        if connection.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            connection.rollback()
        seen = connection.execute(
            "SELECT content FROM messages WHERE user_id = %s UNION ALL "
            "SELECT title FROM conversations WHERE user_id = %s",
            (bob, bob),
        ).fetchall()
    return seen


@pytest.mark.parametrize("role", ["application", "owner"])
@pytest.mark.parametrize("escape", ESCAPES)
def test_sql_on_a_views_connection_cannot_widen_its_scope(request, role, escape):
    url = request.getfixturevalue(f"{role}_url")
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    with convstore.connect(url, migrate=False) as store:
        store.add_message(store.create_conversation(bob, title="bob's"), "user", "bob's secret")
        store.add_message(store.create_conversation(alice), "user", "alice's words")
        view = store.for_user(alice)
        assert _bobs_rows_seen(view, bob, escape) == []
        # The scope key cannot be had or guessed from SQL.
        with pytest.raises(convstore.DatabaseError), view.connection() as connection:
            try:
                connection.execute("SELECT convstore_claim_scope_key()")
            except psycopg.Error as error:
                raise convstore.DatabaseError(str(error)) from error
        with pytest.raises(convstore.DatabaseError), view.connection() as connection:
            try:
                connection.execute("SELECT * FROM convstore_set_user_scope('guess', NULL)")
            except psycopg.Error as error:
                raise convstore.DatabaseError(str(error)) from error
        # Afterwards the store (unscoped) still sees everyone.
        assert len(store.list_conversations(bob)) == 1


def test_the_user_listing_of_a_views_connection_holds_its_user_only(application_url, user):
    """Row-level security: list_users.sql for every user (user_id NULL), run
    as SQL of one's own on a view's connection, still sees one user."""
    alice, bob = f"{user}-alice", f"{user}-bob"
    with convstore.connect(application_url, migrate=False) as store:
        store.add_message(store.create_conversation(alice), "user", "alice's words")
        store.create_conversation(bob)
        statement = store.database.queries["list_users"].statement
        with store.for_user(alice).connection() as connection:
            listed = connection.execute(statement, {"user_id": None, "limit": 1000}).fetchall()
        assert [row[0] for row in listed] == [alice]
        assert {bob, alice} <= {found["user_id"] for found in store.list_users(limit=1000)}


def test_a_views_connection_sees_only_its_users_attachments(application_url, user):
    """Row-level security on both attachment tables: SQL of one's own on a
    view's connection sees one user's rows, though both hold the same image."""
    alice, bob = f"{user}-alice", f"{user}-bob"
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "AAAA" * 400}}
    owners = load_query(TEST_SQL / "attachment_owners.sql", "postgres", "attachment_owners")
    with convstore.connect(application_url, migrate=False) as store:
        for owner in (alice, bob):
            store.add_message(store.create_conversation(owner), "user", [image])
        with store.for_user(alice).connection() as connection:
            seen = connection.execute(owners.statement).fetchall()
        everyone = store.database.run(owners)
    assert sorted(seen) == [("attachments", alice), ("message_attachments", alice)]
    assert {row["user_id"] for row in everyone} >= {alice, bob}


def test_application_role_cannot_read_the_session_scopes(application_url):
    with convstore.connect(application_url, migrate=False) as store:
        with pytest.raises(convstore.DatabaseError, match="permission denied"):
            with store.connection() as connection:
                connection.execute("SELECT * FROM convstore_session_scopes")


def test_a_views_connection_cannot_nest_in_an_unscoped_transaction(application_url):
    with convstore.connect(application_url, migrate=False) as store:
        view = store.for_user("alice")
        with pytest.raises(InvalidInput, match="cannot be sealed"), store.transaction():
            with view.connection():
                pass
        with view.transaction(), view.connection() as connection:  # its own transaction: fine
            assert connection.execute("SELECT count(*) FROM conversations").fetchone() == (0,)


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "postgres-transaction-pooling"])
def test_a_view_inside_a_transaction_leaves_no_scope_behind(request, kind, user):
    if kind == "sqlite":
        url, options = migrated_url(request, "sqlite"), {}
    else:  # an application role, so that row-level security applies
        url = request.getfixturevalue("application_url")
        options = {"transaction_pooling": kind.endswith("pooling")}
    with convstore.connect(url, migrate=False, **options) as store:
        alice, bob = f"{user}-alice", f"{user}-bob"
        alices, bobs = store.create_conversation(alice), store.create_conversation(bob)
        store.add_message(bobs, "user", "bob's secret")
        with store.transaction():
            assert store.for_user(alice).get_messages(alices) == []
            assert [m["content"] for m in store.get_messages(bobs)] == ["bob's secret"]
            with pytest.raises(NotFound):  # fails in the database, inside the view's scope
                store.for_user(alice).add_message(bobs, "user", "intrusion")
            assert [m["content"] for m in store.get_messages(bobs)] == ["bob's secret"]
            store.add_message(bobs, "assistant", "written after the view")
        assert len(store.get_messages(bobs)) == 2


def test_scoped_sessions_go_back_to_the_pool_unscoped(application_url):
    with convstore.connect(application_url, migrate=False, max_size=1) as store:
        bobs = store.create_conversation("bob")
        for _ in range(3):
            assert store.for_user("alice").list_conversations() == []
            assert store.get_conversation(bobs) is not None
        with pytest.raises(RuntimeError), store.for_user("alice").transaction():
            raise RuntimeError("fail inside the view")
        assert store.get_conversation(bobs) is not None


def test_sqlite_views_raw_connection_is_the_whole_file(sqlite_url, user):
    """SQLite has no row-level security: documented, and true."""
    convstore.migrate(sqlite_url)
    with convstore.connect(sqlite_url) as store:
        bobs = store.create_conversation(f"{user}-bob")
        with store.for_user(f"{user}-alice").connection() as connection:
            assert connection.execute(
                "SELECT count(*) FROM conversations WHERE id = ?", (bobs,)
            ).fetchone() == (1,)


# -- nothing SQL leaves on a lent connection reaches a later call --------------------------


@pytest.fixture
def owner_and_application(request, owner_url):
    """The README's deployment: tables owned (and migrated) by one role that
    is no superuser, the application connected as another with only DML grants."""
    role = f"convstore_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(login_url(owner_url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    with psycopg.connect(owner_url, autocommit=True) as owner:
        owner.execute(
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON conversations, messages, "
                "conversation_ancestors, attachments, message_attachments TO {0}; "
                "GRANT SELECT ON conversation_segments TO {0}"
            ).format(sql.Identifier(role))
        )
    yield login_url(owner_url, role)
    with psycopg.connect(login_url(owner_url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


LEFT_BEHIND = {
    "a replaced prepared statement": (
        "DO $$ DECLARE name text; BEGIN"
        " FOR name IN SELECT p.name FROM pg_prepared_statements p LOOP"
        "  EXECUTE format('DEALLOCATE %I', name);"
        "  EXECUTE format('PREPARE %I AS SELECT 1 WHERE false', name);"
        " END LOOP; END $$"
    ),
    "a temporary view named like a table": (
        "CREATE TEMP VIEW messages AS SELECT * FROM public.messages WHERE false"
    ),
    "a session setting": "SELECT set_config('default_text_search_config', 'simple', false)",
    "row security turned off": "SET row_security = off",
    "a listener": "LISTEN convstore_test",
}


@pytest.mark.parametrize("left_behind", sorted(LEFT_BEHIND))
def test_what_sql_leaves_on_a_lent_connection_never_reaches_later_calls(
    owner_and_application, left_behind, user
):
    with convstore.connect(owner_and_application, migrate=False, max_size=1) as store:
        alice, bob = f"{user}-alice", f"{user}-bob"
        bobs = store.create_conversation(bob)
        store.add_message(bobs, "user", "running shoes")
        for _ in range(6):  # psycopg prepares statements used five times
            store.for_user(bob).get_messages(bobs)
            store.search_messages(bob, "running")
        with store.for_user(alice).connection() as connection:
            connection.execute(LEFT_BEHIND[left_behind])
        # The same (only) session serves bob's view and the store afterwards.
        assert [m["content"] for m in store.for_user(bob).get_messages(bobs)] == ["running shoes"]
        assert [m["seq"] for m in store.search_messages(bob, "shoes")] == [1]
        assert store.get_conversation(bobs)["message_count"] == 1
        with store.for_user(alice).connection() as connection:
            assert connection.execute("SELECT count(*) FROM messages").fetchone() == (0,)


def test_another_users_call_cannot_run_on_a_lent_connection(owner_and_application, user):
    with convstore.connect(owner_and_application, migrate=False) as store:
        bobs = store.create_conversation(f"{user}-bob")
        with store.for_user(f"{user}-alice").connection():
            with pytest.raises(InvalidInput, match="another user's calls"):
                store.for_user(f"{user}-bob").get_messages(bobs)


def test_a_view_nested_in_an_unscoped_transaction_cannot_seal_its_connection(
    owner_and_application, user
):
    with convstore.connect(owner_and_application, migrate=False) as store:
        with pytest.raises(InvalidInput, match="cannot be sealed"), store.transaction():
            with store.for_user(user).transaction(), store.for_user(user).connection():
                pass


def test_a_connection_held_by_a_block_is_not_used_from_another_thread(owner_and_application, user):
    """A thread started inside a view's block copies its context; it must
    check out a connection of its own rather than share the block's."""
    with convstore.connect(owner_and_application, migrate=False) as store:
        bobs = store.create_conversation(f"{user}-bob")
        store.add_message(bobs, "user", "bob's secret")
        seen = []
        with store.for_user(f"{user}-alice").transaction():
            context = contextvars.copy_context()
            worker = threading.Thread(
                target=context.run, args=(lambda: seen.extend(store.get_messages(bobs)),)
            )
            worker.start()
            worker.join(30)
        assert [m["content"] for m in seen] == ["bob's secret"]  # unscoped, on its own connection


def test_sqlite_connection_settings_do_not_outlive_a_lent_connection(sqlite_url, user):
    convstore.migrate(sqlite_url)
    with convstore.connect(sqlite_url, max_size=1) as store:
        conversation_id = store.create_conversation(user)
        store.add_message(conversation_id, "user", "to be erased")
        with store.for_user(user).connection() as connection:
            connection.execute("PRAGMA foreign_keys = OFF")
        assert store.delete_user_data(user) == {"conversations": 1, "messages": 1}
        with store.connection() as connection:
            assert connection.execute("SELECT count(*) FROM messages").fetchone() == (0,)


def test_a_view_cannot_claim_or_edit_another_users_named_conversation(application_url, user):
    """As an application role, under row-level security: ensuring a name
    another user's conversation holds is refused inside a transaction that
    goes on, and the edits of the new operations reach nothing of it."""
    with convstore.connect(application_url, migrate=False) as store:
        alice, bob = f"{user}-alice", f"{user}-bob"
        name = f"{user}-shared-name"
        store.for_user(alice).ensure_conversation(name, title="alice's")
        store.add_message(name, "user", "alice's words", tokens=5)
        bob_view = store.for_user(bob)
        with bob_view.transaction():
            with pytest.raises(convstore.ConversationExists):
                bob_view.ensure_conversation(name)
            mine = bob_view.ensure_conversation(f"{name}-bob")  # the transaction goes on
        assert store.get_conversation(mine["id"])["user_id"] == bob
        with pytest.raises(NotFound):
            bob_view.replace_message(name, 1, {"role": "user", "content": "rewritten"})
        with pytest.raises(NotFound):
            bob_view.update_conversation(name, metadata_patch={"owner": bob})
        assert bob_view.delete_messages(name) == 0
        assert bob_view.pop_message(name) is None
        assert bob_view.get_message_fingerprints(name) == []
        conversation = store.get_conversation(name)
        assert (conversation["user_id"], conversation["title"], conversation["metadata"]) == (
            alice,
            "alice's",
            {},
        )
        assert [m["content"] for m in conversation["messages"]] == ["alice's words"]
