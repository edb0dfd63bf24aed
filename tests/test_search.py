"""Full-text search, metadata containment and user statistics, on both databases."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convstore
from convstore.content import search_query
from convstore.sqlfiles.parser import load_query
from convstore.store import store as store_module
from convstore.store.store import SEARCH_INDEXING_BATCH
from convstore.types import POSTGRES, SQLITE

TEST_SQL = Path(__file__).parent / "sql"
LOCK_FOR_INDEXING = load_query(TEST_SQL / "lock_messages_for_indexing.sql", POSTGRES, "lock")


@pytest.fixture
def library(store, user):
    """A user's conversations about travel, and another user's about the same."""
    trip = store.create_conversation(user, title="Lisbon trip")
    store.add_messages(
        trip,
        [
            {"role": "user", "content": "Which museum in Lisbon opens early?"},
            {
                "role": "assistant",
                "content": "The tile museum opens at ten; museums close on Mondays.",
            },
            {"role": "user", "content": "Book a table for dinner near the river."},
        ],
    )
    recipes = store.create_conversation(user, title="Recipes")
    store.add_message(recipes, "user", "A custard tart recipe, please. Café style 😀 naïve")
    stranger = store.create_conversation(f"{user}-stranger", title="Their museum trip")
    store.add_message(stranger, "user", "museum museum museum Lisbon")
    return trip, recipes, stranger


def test_search_messages_ranks_and_marks_the_matches(store, user, library):
    trip, _, _ = library
    found = store.search_messages(user, "museum")
    assert sorted((m["conversation_id"], m["seq"]) for m in found) == [(trip, 1), (trip, 2)]
    assert found[0]["rank"] >= found[1]["rank"] > 0
    assert {m["role"] for m in found} == {"user", "assistant"}
    assert {m["title"] for m in found} == {"Lisbon trip"}
    assert found[0]["snippet"].count("«museum»") == 1
    assert store.search_messages(user, "museum", limit=1) == found[:1]


def test_phrases_exclusions_and_or(store, user, library):
    trip, recipes, _ = library

    def seqs(query):
        return [(m["conversation_id"], m["seq"]) for m in store.search_messages(user, query)]

    assert seqs('"tile museum"') == [(trip, 2)]
    assert seqs('"museum tile"') == []
    assert seqs("museum -lisbon") == [(trip, 2)]
    assert sorted(seqs("dinner or custard")) == sorted([(trip, 3), (recipes, 1)])
    assert seqs("museum dinner") == []


def test_words_match_exactly_with_case_and_diacritics_folded(store, user, library):
    trip, recipes, _ = library

    def found(query):
        return {(m["conversation_id"], m["seq"]) for m in store.search_messages(user, query)}

    assert found("opens") == {(trip, 1), (trip, 2)}
    assert found("opening") == set()  # no stemming
    assert found("museums") == {(trip, 2)}
    assert found("cafe") == found("CAFÉ") == found("café") == {(recipes, 1)}
    assert found("NAIVE") == {(recipes, 1)}
    assert store.search_messages(user, "😀") == []  # nothing to search for, and no error
    assert store.search_messages(user, "cafe")[0]["snippet"].startswith("A custard tart")
    assert "«Café»" in store.search_messages(user, "cafe")[0]["snippet"]


def test_search_conversations_groups_by_conversation(store, user, library):
    trip, recipes, _ = library
    found = store.search_conversations(user, "museum or custard")
    assert {c["id"] for c in found} == {trip, recipes}
    by_id = {c["id"]: c for c in found}
    assert by_id[trip]["matching_messages"] == 2
    assert by_id[trip]["best_seq"] in (1, 2) and "«" in by_id[trip]["snippet"]
    assert by_id[recipes]["matching_messages"] == 1


def test_search_within_one_conversation(store, user, library):
    trip, recipes, _ = library
    assert store.search_messages(user, "museum", conversation_id=recipes) == []
    assert len(store.search_messages(user, "museum", conversation_id=trip)) == 2


def test_deleted_conversations_disappear_from_search(store, user, library):
    trip, _, _ = library
    store.delete_conversation(trip)
    assert store.search_messages(user, "museum") == []
    assert store.search_conversations(user, "lisbon") == []


def test_replaced_text_is_found_by_its_new_words_only(store, user):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "zebra crossing")
    assert [m["seq"] for m in store.search_messages(user, "zebra")] == [1]
    store.replace_message(conversation_id, 1, {"role": "user", "content": "okapi crossing"})
    assert store.search_messages(user, "zebra") == []
    assert [m["seq"] for m in store.search_messages(user, "okapi")] == [1]


# -- search indexing off the write path (issue 17) ---------------------------------------


def test_appends_leave_search_indexing_to_the_next_search(store, user):
    """An append stores no search words; the next search of its user indexes
    that user's messages first, and no other user's."""
    mine = store.create_conversation(user)
    store.add_messages(mine, [{"role": "user", "content": f"zebra {n}"} for n in range(3)])
    theirs = store.create_conversation(f"{user}-other")
    store.add_message(theirs, "user", "zebra")
    assert len(store.search_messages(user, "zebra")) == 3
    assert store.index_pending_search(user) == 0
    assert store.index_pending_search(f"{user}-other") == 1
    assert store.index_pending_search(f"{user}-other") == 0


def test_a_search_inside_a_transaction_or_snapshot_writes_nothing(store, user):
    """Indexing there would hold row locks (or SQLite's write lock) until the
    block ends, and fail in a snapshot another session's indexing made stale:
    the search reads the unindexed messages from their text instead."""
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "zebra crossing")
    with store.snapshot():
        assert [m["seq"] for m in store.search_messages(user, "zebra")] == [1]
    with store.transaction():
        assert [c["id"] for c in store.search_conversations(user, "zebra")] == [conversation_id]
    assert store.index_pending_search(user) == 1


@contextmanager
def _held_by_another_thread(hold: Callable[[], AbstractContextManager[Any]]) -> Iterator[Any]:
    """Enter ``hold()`` in another thread and keep it entered until the block
    ends, or until the event the block is given is set."""
    entered, release = threading.Event(), threading.Event()

    def holder() -> None:
        with hold():
            entered.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert entered.wait(30)
        yield release
    finally:
        release.set()
        thread.join()


def _statements_sent(store, name, call):
    """How many times ``call()`` sends the ``.sql`` file ``name``."""
    sent = []
    with store.tracer(lambda statement, params: sent.append(statement.split(" */")[0])):
        call()
    return sent.count(f"/* convstore: sql/{store.dialect}/{name}.sql")


def test_a_backlog_is_indexed_in_transactions_of_a_bounded_size(store, user):
    conversation_id = store.create_conversation(user)
    backlog = SEARCH_INDEXING_BATCH * 2 + 7
    store.add_messages(conversation_id, [{"role": "user", "content": "zebra"}] * backlog)
    found = []
    search = lambda: found.extend(store.search_messages(user, "zebra", limit=backlog))  # noqa: E731
    assert _statements_sent(store, "index_pending_search", search) == 3
    assert len(found) == backlog


def test_a_transaction_of_indexing_stops_at_its_bytes_of_text(store, user, monkeypatch):
    """Large messages make small batches: a batch stops once its text passes
    SEARCH_INDEXING_BYTES (here 10,000 bytes: one message of 300,006 alone,
    then two of 6,000 at a time), so that its time has a bound whatever the
    messages hold."""
    monkeypatch.setattr(store_module, "SEARCH_INDEXING_BYTES", 10_000)
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "zebra " + "猫" * 100_000)  # 300,006 bytes
    store.add_messages(conversation_id, [{"role": "user", "content": "zebra " * 1000}] * 5)
    indexed = []
    index = lambda: indexed.append(store.index_pending_search(user))  # noqa: E731
    assert _statements_sent(store, "index_pending_search", index) == 4
    assert indexed == [6]
    assert len(store.search_messages(user, "zebra")) == 6


def test_indexing_stops_at_the_messages_waiting_when_it_began(postgres_url, user, monkeypatch):
    """Messages appended while it works are left to the next search (this
    one reads them from their text): indexing does not chase a writer that
    appends as fast as it indexes."""
    monkeypatch.setattr(store_module, "SEARCH_INDEXING_BATCH", 2)
    with convstore.connect(postgres_url) as store, convstore.connect(postgres_url) as writer:
        conversation_id = store.create_conversation(user)
        store.add_messages(conversation_id, [{"role": "user", "content": "zebra"}] * 5)

        def append_while_indexing(statement, params):
            if "index_pending_search.sql" in statement.split("\n")[0]:
                writer.add_messages(conversation_id, [{"role": "user", "content": "zebra"}] * 2)

        with store.tracer(append_while_indexing):
            assert store.index_pending_search(user) == 5
        assert len(store.search_messages(user, "zebra", limit=100)) == 11
        assert store.index_pending_search(user) == 0


def test_sessions_indexing_one_user_take_turns(postgres_url, user):
    """A search whose user's messages another session is indexing waits for
    that session's batch to end, then indexes what is left, rather than
    skip the rows and read them all from their text."""
    with convstore.connect(postgres_url) as store, convstore.connect(postgres_url) as other:
        conversation_id = store.create_conversation(user)
        store.add_messages(conversation_id, [{"role": "user", "content": "zebra"}] * 3)

        @contextmanager
        def the_turn():
            with other.transaction():
                other.run("claim_search_indexing", user_id=user)
                yield

        with _held_by_another_thread(the_turn) as release:
            threading.Timer(0.5, release.set).start()
            started = time.monotonic()
            assert len(store.search_messages(user, "zebra")) == 3
            assert time.monotonic() - started >= 0.4
        assert store.index_pending_search(user) == 0


@pytest.mark.parametrize("messages_to_index", [0, 1], ids=["nothing_to_index", "to_index"])
def test_a_sqlite_search_never_waits_long_for_a_writer(sqlite_url, user, messages_to_index):
    """Another thread's open write transaction holds the file: a search
    with nothing to index does not write at all, and one with messages to
    index gives up indexing after BRIEF_WRITE_WAIT and reads them from
    their text."""
    with convstore.connect(sqlite_url, timeout=5) as store:
        conversation_id = store.create_conversation(user)
        store.add_message(conversation_id, "user", "zebra")
        if not messages_to_index:
            store.search_messages(user, "zebra")  # indexes it

        @contextmanager
        def a_write():
            with store.transaction():
                store.add_message(conversation_id, "user", "okapi")
                yield

        with _held_by_another_thread(a_write):
            started = time.monotonic()
            assert [m["seq"] for m in store.search_messages(user, "zebra")] == [1]
            assert time.monotonic() - started < 1
        assert store.index_pending_search(user) == 1 + messages_to_index


def test_a_sqlite_search_never_waits_long_for_another_process(sqlite_url, user):
    with convstore.connect(sqlite_url, timeout=5) as store:
        conversation_id = store.create_conversation(user)
        store.add_message(conversation_id, "user", "zebra")
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process's writer, as far as SQLite knows
            started = time.monotonic()
            assert [m["seq"] for m in store.search_messages(user, "zebra")] == [1]
            assert time.monotonic() - started < 1
        finally:
            other.close()
        assert store.index_pending_search(user) == 1


def test_a_message_another_session_is_indexing_is_found_from_its_text(postgres_url, user):
    """Messages whose rows another session holds are skipped by the search's
    own indexing, not waited for, and the search reads them from their text:
    found, and ranked as the index ranks them."""
    with convstore.connect(postgres_url) as store, convstore.connect(postgres_url) as other:
        conversation_id = store.create_conversation(user)
        store.add_messages(
            conversation_id,
            [
                {"role": "user", "content": "the zebra and the okapi"},
                {"role": "assistant", "content": "a zebra, a zebra"},
            ],
        )

        @contextmanager
        def the_rows():
            with other.transaction(), other.connection() as connection:
                connection.execute(
                    LOCK_FOR_INDEXING.statement, {"conversation_id": conversation_id}
                )
                yield

        with _held_by_another_thread(the_rows):
            while_held = store.search_messages(user, "zebra")
            assert store.search_conversations(user, "okapi")[0]["id"] == conversation_id
            assert store.index_pending_search(user) == 0
        assert store.index_pending_search(user) == 2
        indexed = store.search_messages(user, "zebra")
    assert [(m["seq"], m["rank"]) for m in while_held] == [(m["seq"], m["rank"]) for m in indexed]
    assert [m["seq"] for m in indexed] == [2, 1]


def test_rows_a_writer_holds_do_not_stop_the_rest_being_indexed(postgres_url, user):
    """A replace in an open transaction locks the rows after it (their
    running totals change); the user's other messages are still indexed."""
    with convstore.connect(postgres_url) as store, convstore.connect(postgres_url) as writer:
        held = store.create_conversation(user)
        store.add_messages(held, [{"role": "user", "content": "zebra"}] * 600)
        free = store.create_conversation(user)
        store.add_messages(free, [{"role": "user", "content": "okapi"}] * 60)

        @contextmanager
        def a_replace():
            with writer.transaction():
                writer.replace_message(held, 1, {"role": "user", "content": "zebra crossing " * 50})
                yield

        with _held_by_another_thread(a_replace):
            assert store.index_pending_search(user) == 60
            assert len(store.search_messages(user, "zebra", limit=1000)) == 600
        assert store.index_pending_search(user) == 600


def test_a_message_whose_words_pass_the_tsvector_limit_is_indexed_in_part(store, user):
    """U+FDFA (3 bytes) folds to four words of 30 bytes: 40,000 of them are
    more words than a PostgreSQL tsvector holds (1 MB), and they once made
    every search of their user fail. Its first words are indexed."""
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "zebra " + "\ufdfa" * 40_000)
    store.add_message(conversation_id, "user", "zebra crossing")
    assert [m["seq"] for m in store.search_messages(user, "zebra")] == [2, 1]
    assert store.index_pending_search(user) == 0
    assert [m["seq"] for m in store.search_messages(user, "crossing")] == [2]


def test_a_read_only_postgres_session_still_finds_every_message(postgres_url, user):
    """Where nothing can be written (here every transaction is read-only, as
    on a standby) the search indexes nothing and still finds every message."""
    with convstore.connect(postgres_url) as store:
        conversation_id = store.create_conversation(user)
        store.add_message(conversation_id, "user", "zebra crossing")
    read_only = f"{postgres_url}?options=-c%20default_transaction_read_only%3Don"
    with convstore.connect(read_only) as store:
        assert [m["seq"] for m in store.search_messages(user, "zebra")] == [1]
        assert [c["id"] for c in store.search_conversations(user, "crossing")] == [conversation_id]
        with pytest.raises(convstore.ReadOnlyDatabase):
            store.index_pending_search(user)


FTS5_TEXTS = [
    "a b c",
    "a c",
    "a b",
    "b c",
    "a",
    "c a b",
    "x\u00a0y",
    "a x\u00a0y",
    "b",
    "c c a",
    "",
]
FTS5_PIECES = [
    "a",
    "b",
    "c",
    "B",
    '"a b"',
    '"A, b"',
    '""',
    "x\u00a0y",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
]


def test_unindexed_text_is_matched_as_fts5_matches_it():
    """The matcher of messages not indexed yet (SQLite) against FTS5 itself,
    on expressions made of words, phrases, empty phrases, parentheses and
    operators in any order: the same texts, or both refuse the expression."""
    create, insert, match = (
        load_query(TEST_SQL / f"fts5_scratch_{name}.sql", SQLITE, name)
        for name in ("create", "insert", "match")
    )
    fts5 = sqlite3.connect(":memory:")
    fts5.execute(create.statement)
    for number, text in enumerate(FTS5_TEXTS, 1):
        fts5.execute(insert.statement, {"number": number, "content": text})
    chance = random.Random(17)
    for _ in range(5_000):
        expression = " ".join(chance.choices(FTS5_PIECES, k=chance.randint(1, 7)))
        try:
            expected = [n for (n,) in fts5.execute(match.statement, {"expression": expression})]
        except sqlite3.OperationalError:
            expected = None
        try:
            matches = search_query.fts5_matcher(expression)
        except ValueError:
            found = None
        else:
            found = [n for n, text in enumerate(FTS5_TEXTS, 1) if matches(text.split(" "))]
        assert found == expected, expression


typed = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
) | st.sampled_from(
    ['"', '"unterminated', "-", "- -", "or or", "NEAR(a b)", "a*", "^x", "c:d", "''"]
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=typed)
def test_any_search_text_never_fails_nor_crosses_users(store, user, library, query):
    _, _, stranger = library
    for found in (store.search_messages(user, query), store.search_conversations(user, query)):
        ids = {row.get("conversation_id", row.get("id")) for row in found}
        assert stranger not in ids
    assert all(m["conversation_id"] != stranger for m in store.find_messages(user, query or "x"))


# -- metadata containment ---------------------------------------------------------------


def test_metadata_containment_on_nested_objects(store, user):
    conversation_id = store.create_conversation(
        user, metadata={"channel": {"kind": "web", "id": 7}}
    )
    store.add_message(
        conversation_id, "assistant", "a", metadata={"model": "gpt-4o-mini", "usage": {"total": 12}}
    )
    store.add_message(conversation_id, "assistant", "b", metadata={"model": "gpt-4o", "flag": True})
    other = store.create_conversation(f"{user}-other")
    store.add_message(other, "assistant", "c", metadata={"model": "gpt-4o-mini"})

    def contents(metadata):
        return [m["content"] for m in store.find_messages_by_metadata(user, metadata)]

    assert contents({"model": "gpt-4o-mini"}) == ["a"]
    assert contents({"usage": {"total": 12}}) == ["a"]
    assert contents({"usage": {"total": 13}}) == []
    assert contents({"flag": True}) == ["b"]
    assert contents({"flag": 1}) == []
    assert sorted(contents({})) == ["a", "b"]
    found = store.find_conversations_by_metadata(user, {"channel": {"kind": "web"}})
    assert [c["id"] for c in found] == [conversation_id]
    assert store.find_conversations_by_metadata(user, {"channel": {"kind": "app"}}) == []


def test_metadata_containment_is_served_by_the_gin_index(postgres_url, user):
    with convstore.connect(postgres_url) as store:
        conversation_id = store.create_conversation(user)
        for batch in range(4):  # enough rows that reading them all would cost more
            store.add_messages(
                conversation_id,
                [
                    {"role": "assistant", "content": "x", "metadata": {"model": f"m{i % 500}"}}
                    for i in range(batch * 5000, (batch + 1) * 5000)
                ],
            )
        query = store.database.queries["messages_by_metadata"]
    params = {"user_id": user, "metadata": '{"model": "m7"}', "limit": 50}
    with psycopg.connect(postgres_url) as connection:
        connection.execute("ANALYZE messages")
        plan = "\n".join(row[0] for row in connection.execute("EXPLAIN " + query.statement, params))
    assert "messages_metadata" in plan, plan


# -- user statistics ------------------------------------------------------------------------


def test_user_stats(store, user):
    first = store.create_conversation(user)
    store.add_message(first, "user", "q", tokens=3)
    store.add_message(first, "assistant", "a", tokens=7)
    second = store.create_conversation(user)
    store.add_message(second, "user", "q2")

    stats = store.get_user_stats(user)
    assert stats["conversations"] == 2
    assert stats["messages"] == 3
    assert stats["messages_by_role"] == {"assistant": 1, "user": 2}
    assert stats["tokens"] == 10
    assert stats["first_activity_at"] <= stats["last_activity_at"]
    assert store.get_user_stats(f"{user}-nobody")["conversations"] == 0
