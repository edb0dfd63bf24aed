"""``retryable`` means a retry is safe: errors a retry cannot fix are not
retryable, and a write whose answer was lost after the server committed it is
either safe to repeat or reported as OutcomeUnknown."""

from __future__ import annotations

import random
import string
import uuid
from urllib.parse import urlsplit

import psycopg.errors
import pytest

import convstore
from convstore import (
    ConfigurationError,
    DatabaseUnavailable,
    InvalidInput,
    OutcomeUnknown,
)
from convstore.db.sqlstates import convstore_error
from convstore.store import store as store_module

from .lossy_proxy import LossyProxy


@pytest.fixture
def proxy(postgres_url):
    parts = urlsplit(postgres_url)
    lossy = LossyProxy(parts.hostname, parts.port)
    yield lossy
    lossy.close()


@pytest.fixture
def lossy_store(proxy, postgres_url):
    """A store whose connections go through the proxy (statements sent as
    text each time, so the proxy can recognise them)."""
    parts = urlsplit(postgres_url)
    url = parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}").geturl()
    with convstore.connect(url, migrate=False, prepare=False) as store:
        yield store


@pytest.fixture
def direct(postgres_url):
    with convstore.connect(postgres_url) as store:
        yield store


# -- a lost answer ---------------------------------------------------------------------


def test_a_lost_answer_to_an_unkeyed_append_is_outcome_unknown(lossy_store, proxy, direct, user):
    conversation_id = direct.create_conversation(user)
    proxy.lose_answer_to(b"append_message.sql")
    with pytest.raises(OutcomeUnknown) as raised:
        lossy_store.add_message(conversation_id, "user", "committed, answer lost")
    assert raised.value.retryable is False
    assert proxy.answers_lost == 1
    # It was committed: a blind retry would have stored it twice.
    assert [m["content"] for m in direct.get_messages(conversation_id)] == [
        "committed, answer lost"
    ]


@pytest.mark.parametrize("batch", [False, True])
def test_a_lost_answer_to_a_keyed_append_is_retryable_and_the_retry_stores_nothing_twice(
    lossy_store, proxy, direct, user, batch
):
    conversation_id = direct.create_conversation(user)
    messages = [{"role": "user", "content": "once", "idempotency_key": "request-1"}]
    proxy.lose_answer_to(b"append_messages.sql" if batch else b"append_message.sql")
    with pytest.raises(DatabaseUnavailable) as raised:
        if batch:
            lossy_store.add_messages(conversation_id, messages)
        else:
            lossy_store.add_message(conversation_id, **messages[0])
    assert raised.value.retryable is True
    retried = lossy_store.add_messages(conversation_id, messages)
    assert [m["seq"] for m in retried] == [1]
    assert [m["content"] for m in direct.get_messages(conversation_id)] == ["once"]


def test_create_conversation_survives_a_lost_answer_without_a_duplicate(
    lossy_store, proxy, direct, user
):
    proxy.lose_answer_to(b"create_conversation.sql")
    conversation_id = lossy_store.create_conversation(user, title="once")
    assert proxy.answers_lost == 1
    assert [c["id"] for c in direct.list_conversations(user)] == [conversation_id]


def test_a_lost_commit_of_a_transaction_is_outcome_unknown(lossy_store, proxy, direct, user):
    conversation_id = direct.create_conversation(user)
    with pytest.raises(OutcomeUnknown):
        with lossy_store.transaction():
            lossy_store.add_message(conversation_id, "user", "in a transaction")
            proxy.lose_answer_to(b"COMMIT")
    assert len(direct.get_messages(conversation_id)) == 1


def test_a_lost_answer_to_a_delete_is_retryable(lossy_store, proxy, direct, user):
    conversation_id = direct.create_conversation(user)
    proxy.lose_answer_to(b"delete_conversation.sql")
    with pytest.raises(DatabaseUnavailable) as raised:
        lossy_store.delete_conversation(conversation_id)
    assert raised.value.retryable is True
    # The delete runs in a transaction (the conversation is locked and checked
    # for branches first): the connection lost before its COMMIT rolled it back.
    assert lossy_store.delete_conversation(conversation_id) is True
    assert direct.get_conversation(conversation_id) is None


# -- permanent failures are not retryable ------------------------------------------------


def test_values_the_server_cannot_hold_are_not_retryable(store, user):
    """Sent past the Store's own checks, straight to the server."""
    over_an_index_row = {
        "id": str(uuid.uuid4()),
        # Incompressible: btree rows hold at most 2,704 bytes (program limit, 54000).
        "user_id": "".join(random.Random(7).choices(string.ascii_letters, k=3000)),
        "title": None,
        "metadata": "{}",
        "extra": "{}",
    }
    not_a_time = {
        "id": str(uuid.uuid4()),
        "user_id": user,
        "title": None,
        "metadata": "{}",
        "extra": "{}",
        "created_at": "not a time",  # data exception, 22007
        "updated_at": "2026-01-01T00:00:00Z",
    }
    cases = [("create_conversation", over_an_index_row), ("import_conversation", not_a_time)]
    if store.dialect == "sqlite":  # SQLite has neither limit: only the bad time
        cases = cases[1:]
    for query_name, params in cases:
        with pytest.raises(InvalidInput) as raised:
            store.run(query_name, **params)
        assert raised.value.retryable is False, query_name


def test_a_very_long_message_of_distinct_words_is_stored_and_searchable(store, user):
    """PostgreSQL's tsvector holds 1 MB; search covers the first 100,000 characters."""
    words = [f"w{index:x}q" for index in range(150_000)]  # ~1 MB of distinct words
    conversation_id = store.create_conversation(user)
    stored = store.add_message(conversation_id, "user", " ".join(words))
    assert stored["seq"] == 1
    assert store.search_messages(user, words[10])[0]["seq"] == 1
    assert store.search_messages(user, words[-1]) == []  # past the indexed prefix


def test_a_batch_over_the_statement_size_is_split_and_stays_whole(store, user, monkeypatch):
    monkeypatch.setattr(store_module, "BATCH_JSON_BYTES", 2_000)
    conversation_id = store.create_conversation(user)
    statements = []
    batch = [{"role": "user", "content": f"{index}:" + "x" * 500} for index in range(10)]
    with store.tracer(lambda statement, params: statements.append(statement)):
        stored = store.add_messages(conversation_id, batch)
    appends = [s for s in statements if "append_messages.sql" in s]
    assert len(appends) >= 3
    assert [m["seq"] for m in stored] == list(range(1, 11))
    assert [m["content"] for m in store.get_messages(conversation_id)] == [
        m["content"] for m in batch
    ]


# -- the SQLSTATE table, class by class --------------------------------------------------


@pytest.mark.parametrize(
    "sqlstate, kind",
    [
        ("08006", DatabaseUnavailable),  # connection failure
        ("40001", DatabaseUnavailable),  # serialization failure: rolled back
        ("40P01", DatabaseUnavailable),  # deadlock: rolled back
        ("55P03", DatabaseUnavailable),  # lock not available
        ("57014", DatabaseUnavailable),  # statement_timeout
        ("57P01", DatabaseUnavailable),  # admin shutdown
        ("53300", DatabaseUnavailable),  # too many connections
        ("22001", InvalidInput),  # string too long
        ("22P02", InvalidInput),  # invalid text representation
        ("23503", InvalidInput),  # foreign key violation
        ("23514", InvalidInput),  # check violation
        ("54000", InvalidInput),  # program limit (index row, tsvector)
        ("28P01", ConfigurationError),  # wrong password
        ("3D000", ConfigurationError),  # no such database
        ("42704", ConfigurationError),  # undefined object (an unknown setting's value)
        ("F0000", ConfigurationError),  # configuration file error
        ("42P01", convstore.SchemaNotMigrated),  # undefined table
        ("42883", convstore.SchemaNotMigrated),  # undefined function
        ("42501", convstore.DatabaseError),  # privilege or row-level security
        ("53100", convstore.DatabaseError),  # disk full: a retry does not help
        ("XX000", convstore.DatabaseError),  # internal error
        ("0A000", convstore.DatabaseError),  # feature not supported
    ],
)
def test_each_sqlstate_class_maps_to_one_kind_of_error(sqlstate, kind):
    translated = convstore_error(psycopg.errors.lookup(sqlstate)())
    assert type(translated) is kind
    assert translated.retryable is (kind is DatabaseUnavailable)
    assert sqlstate in str(translated)


@pytest.mark.parametrize(
    ("query_name", "params"),
    [
        ("list_conversations", {"user_id": "u", "limit": -1}),
        ("list_conversations", {"user_id": "u", "limit": 0}),
        ("get_conversation", {"conversation_id": "", "user_id": None}),
        ("conversation_messages", {"conversation_id": 7, "user_id": None}),
    ],
)
def test_raw_parameters_are_refused_alike_on_both_databases(store, query_name, params):
    """SQLite would take limit -1 as "no limit" and compare '' as text;
    PostgreSQL refuses both: every caller's values are read one way first."""
    with pytest.raises(InvalidInput):
        store.run(query_name, **params)
