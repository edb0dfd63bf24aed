"""Attacks on the operations for framework adapters (names as ids,
ensure_conversation, replace_message, delete_messages, pop_message, items and
fingerprints) and what they rest on, on real databases. Each test failed on
the code it was written against; its docstring says how it broke and why."""

from __future__ import annotations

import io
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import convstore
from convstore import CONVERSATION_NAMESPACE, DatabaseUnavailable
from convstore.transfer.jsonl import export_conversations, import_conversations


def _exported(store, user) -> str:
    out = io.StringIO()
    export_conversations(store, user, out)
    return out.getvalue()


# -- JSONL: "an import into any database restores it exactly" -----------------------------


def test_a_jsonl_round_trip_keeps_tool_calls_and_fingerprints(store, user):
    """Tool calls are stored as given ("other keys are stored as given"), but
    the export writes them only in the chat format (sent_calls: no keys a
    server added, "arguments" filled in, repeated ids and calls of other roles
    dropped), and the import takes them from there: the restored messages and
    their fingerprints differ from the exported ones, so a mirror comparing
    fingerprints rewrites every such message after a restore."""
    conversation_id = store.create_conversation(user)
    streamed = {
        "index": 0,  # what a streamed OpenAI response carries
        "id": "call_1",
        "type": "function",
        "function": {"name": "weather", "arguments": '{"city": "Lisboa"}'},
    }
    no_arguments = {"id": "call_2", "type": "function", "function": {"name": "now"}}
    store.add_messages(
        conversation_id,
        [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": [streamed]},
            {"role": "tool", "content": "24 °C", "tool_call_id": "call_1"},
            {"role": "assistant", "content": "And the time:", "tool_calls": [no_arguments]},
            {"role": "tool", "content": "noon", "tool_call_id": "call_2"},
        ],
    )
    before = store.get_messages(conversation_id, limit=None)
    fingerprints = store.get_message_fingerprints(conversation_id)
    exported = _exported(store, user)
    store.delete_conversation(conversation_id)

    import_conversations(store, exported.splitlines())
    assert [m["tool_calls"] for m in store.get_messages(conversation_id, limit=None)] == [
        m["tool_calls"] for m in before
    ]
    assert store.get_message_fingerprints(conversation_id) == fingerprints


# -- seqs of deleted messages are never reused --------------------------------------------


def test_importing_an_export_again_never_lowers_the_next_seq(store, user):
    """An import of the same file again "changes nothing", and "deleted seqs
    are not reused". But an import recounts the conversation's last_seq as its
    highest stored seq, so after a truncation or a pop an import of the
    conversation as it is (nothing new) hands out the deleted seqs again.
    Cause: recount_conversation.sql (both dialects) sets last_seq =
    max(seq) instead of never moving it back."""
    conversation_id = store.create_conversation(user)
    store.add_messages(conversation_id, [{"role": "user", "content": f"m{i}"} for i in range(5)])
    assert store.delete_messages(conversation_id, after_seq=3) == 2
    assert store.pop_message(conversation_id)["seq"] == 3
    exported = _exported(store, user)

    assert import_conversations(store, exported.splitlines()) == {
        "conversations": 0,
        "messages": 0,
    }
    assert store.add_message(conversation_id, "user", "next")["seq"] == 6


def test_a_restored_export_does_not_hand_out_deleted_seqs_again(store, user):
    """An export "restores it exactly" in any database, and "deleted seqs are
    not reused": restored from its export (after the conversation was lost,
    or into another database), a conversation whose newest messages were
    popped or truncated must not give their seqs to the next messages --
    which a mirror keyed on seqs (or anyone who kept "seq 3" from before)
    would take for the old ones. The line carries its last_seq."""
    conversation_id = store.create_conversation(user)
    store.add_messages(conversation_id, [{"role": "user", "content": f"m{i}"} for i in range(3)])
    assert store.pop_message(conversation_id)["seq"] == 3
    exported = _exported(store, user)
    store.delete_conversation(conversation_id)

    import_conversations(store, exported.splitlines())
    assert store.add_message(conversation_id, "user", "next")["seq"] == 4


# -- names as ids --------------------------------------------------------------------------


NOT_UUID_SPELLINGS = [
    "0x345678123456781234567812345678",  # a 0x prefix
    "+1234567812345678123456781234567",  # a sign
    "1234_678123456781234567812345678",  # an underscore
    "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668" * 4,  # Arabic-Indic digits
]


def test_text_that_is_no_uuid_spelling_is_a_name(store, user):
    """A UUID is read in its spellings (hyphens, upper case, braces,
    urn:uuid:); "any other non-empty text is a name" and stands for its uuid5.
    uuid.UUID, which decided, also reads what int(..., 16) does: a 0x prefix,
    a sign, underscores, non-ASCII digits. Such names become the id int()
    reads from them -- two different names can be one conversation, and an
    adapter in another language following the README computes another id.
    Cause: validation.conversation_id trusted uuid.UUID(value)."""
    created = {
        name: store.create_conversation(user, conversation_id=name) for name in NOT_UUID_SPELLINGS
    }
    assert created == {
        name: str(uuid.uuid5(CONVERSATION_NAMESPACE, name)) for name in NOT_UUID_SPELLINGS
    }


def test_ensure_conversation_never_blames_another_user_for_its_own_churn(database_url, user):
    """ensure_conversation tries create-or-find twice, then says the id is
    "another user's" (ConversationExists). When the same user's conversation
    is deleted between the find and the create twice over (a thread reset as
    delete + ensure, racing another ensure), no other user is involved, yet
    the call fails with ConversationExists: "belongs to another user". It
    should keep trying (or at least not name an owner that does not exist)."""
    with convstore.connect(database_url) as store, convstore.connect(database_url) as other:
        name = f"{user}-thread"
        store.ensure_conversation(name, user)
        churn = [
            ("get_conversation", lambda: other.delete_conversation(name)),
            ("create_conversation", lambda: other.ensure_conversation(name, user)),
            ("get_conversation", lambda: other.delete_conversation(name)),
        ]

        def meanwhile(statement, params):
            if churn and f"/{churn[0][0]}.sql" in statement.splitlines()[0]:
                churn.pop(0)[1]()

        with store.tracer(meanwhile):
            ensured = store.ensure_conversation(name, user)
        assert ensured["user_id"] == user
        assert store.get_conversation(name)["user_id"] == user


# -- SQLite: transactions and lone writes in one process ------------------------------------


def test_sqlite_transactions_racing_lone_writes_do_not_deadlock(sqlite_url, user):
    """ensure_conversation's promise -- racing callers never fail, even inside
    their own transactions -- with a lone write (an add_message outside any
    transaction) in one more thread. A transaction checks out a connection,
    then waits for the process's write lock (SQLiteDatabase.begin ->
    write_slot); a lone write takes the write lock, then waits for a
    connection (Database.run: `slot, self.connection()`). Once every pooled
    connection is held by a transaction waiting for the lock, the lock's holder
    waits for a connection: all wait out the timeout and fail with
    DatabaseUnavailable. The same load without the lone writer never fails,
    so this is not contention."""
    convstore.migrate(sqlite_url)
    name = f"{user}-thread"
    with convstore.connect(sqlite_url, max_size=4, timeout=2) as store:
        store.ensure_conversation(name, user)

        def race(lone_writers: int) -> list[Exception]:
            failures: list[Exception] = []

            def work(worker: int) -> None:
                for _ in range(8):
                    try:
                        if worker < lone_writers:
                            store.add_message(name, "user", "lone")
                        else:
                            with store.transaction():
                                store.ensure_conversation(name, user)
                                store.add_message(name, "user", "in a transaction")
                    except DatabaseUnavailable as error:
                        failures.append(error)

            with ThreadPoolExecutor(max_workers=10) as pool:
                list(pool.map(work, range(10)))
            return failures

        assert race(lone_writers=0) == []
        assert race(lone_writers=1) == []
        assert store.get_conversation(name)["message_count"] == 160


# -- PostgreSQL: an import recounting while a writer holds the conversation ----------------


def test_an_import_racing_an_append_keeps_the_running_totals_exact(postgres_url, user):
    """import_conversation (every JSONL import) ends by recounting the
    conversation's counters from its messages. It did so without locking the
    conversation first: an append committed while the recount waited for the
    row lock was missing from the recount's snapshot, so the recount
    overwrote the counters with stale ones (message_count and total_tokens
    lost the append for good; a context of 12 tokens for a budget of 7). Now
    the import locks the conversation before it recounts, and the append
    waits for it, as for the edits (replace, truncate, pop)."""
    with convstore.connect(postgres_url) as store:
        conversation_id = store.create_conversation(user)
        store.add_messages(
            conversation_id, [{"role": "user", "content": f"m{i}", "tokens": 5} for i in range(3)]
        )
        stored = store.get_conversation(conversation_id)
        again = {
            "id": conversation_id,
            "user_id": user,
            "created_at": stored["created_at"],
            "updated_at": stored["updated_at"],
        }
        importing: list[threading.Thread] = []
        at_recount, recount = threading.Event(), threading.Event()
        appended, commit = threading.Event(), threading.Event()

        def pause_before_the_recount(statement, params):
            if (
                threading.current_thread() in importing
                and "recount_conversation.sql" in (statement.splitlines()[0])
            ):
                at_recount.set()
                recount.wait(10)

        def import_again():
            importing.append(threading.current_thread())
            store.import_conversation(again, [])

        def append_and_wait():
            with store.transaction():
                store.add_message(conversation_id, "user", "racing", tokens=7)
                appended.set()
                commit.wait(10)

        with store.tracer(pause_before_the_recount):
            importer = threading.Thread(target=import_again)
            importer.start()
            assert at_recount.wait(10)
            appender = threading.Thread(target=append_and_wait)
            appender.start()
            # the import holds the conversation's lock: the append waits for it
            assert not appended.wait(0.5)
            recount.set()
            importer.join()
            assert appended.wait(10)
            commit.set()
            appender.join()

        messages = store.get_messages(conversation_id, limit=None)
        assert store.get_conversation(conversation_id)["message_count"] == len(messages) == 4
        context = store.get_recent_context(conversation_id, max_tokens=7)
        assert [m["content"] for m in context] == ["racing"]


# -- PostgreSQL: a lent connection's reset and psycopg's prepared statements ---------------


def test_a_connection_lent_twice_still_runs_prepared_statements(postgres_url, user):
    """Store.connection() lends a pooled connection and resets it afterwards
    with DISCARD ALL, trusting psycopg to forget its prepared statements when
    it sees that command (reset_session.sql). psycopg notices it only the
    first time the statement is counted in its cache: lent once while nothing
    was prepared, the connection's DISCARD ALL stays counted, so the next
    reset drops the server's prepared statements without psycopg knowing.
    From then on every call that runs a statement psycopg had prepared on
    that connection fails -- DatabaseError "prepared statement "_pg3_0" does
    not exist" -- for as long as the connection lives."""
    with convstore.connect(postgres_url, min_size=1, max_size=1) as store:
        conversation_id = store.create_conversation(user)
        store.add_message(conversation_id, "user", "hi")
        with store.connection() as connection:
            connection.execute("SELECT 1")
        for _ in range(6):  # psycopg prepares a statement on its fifth run
            store.get_messages(conversation_id, limit=1)
        with store.connection() as connection:
            connection.execute("SELECT 1")
        for _ in range(2):
            assert [m["content"] for m in store.get_messages(conversation_id, limit=1)] == ["hi"]
