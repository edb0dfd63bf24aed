"""store.for_user(): another user's conversation behaves exactly like a missing
one; on PostgreSQL, row-level security holds even for raw SQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

import convstore
from convstore import InvalidInput, NotFound, queries


@pytest.fixture
def two_users(store, user):
    theirs_user = f"{user}-other"
    mine = store.create_conversation(user, title="mine")
    theirs = store.create_conversation(theirs_user, title="theirs")
    store.add_message(mine, "user", "my words", tokens=5)
    store.add_message(theirs, "user", "their words", tokens=5)
    return store.for_user(user), mine, theirs, theirs_user


def test_other_users_conversation_behaves_like_a_missing_one(two_users):
    view, mine, theirs, _ = two_users
    missing = str(uuid.uuid4())
    for conversation_id in (theirs, missing):
        assert view.get_conversation(conversation_id) is None
        assert view.get_messages(conversation_id) == []
        assert view.get_message(conversation_id, 1) is None
        assert view.get_recent_context(conversation_id, max_tokens=100) == []
        assert view.get_conversation_stats(conversation_id) is None
        assert view.delete_message(conversation_id, 1) is False
        assert view.delete_conversation(conversation_id) is False
        with pytest.raises(NotFound):
            view.add_message(conversation_id, "user", "intrusion")
        with pytest.raises(NotFound):
            view.add_messages(conversation_id, [{"role": "user", "content": "intrusion"}])
        with pytest.raises(NotFound):
            view.set_message_tokens(conversation_id, 1, 0)
    assert view.get_conversation(mine)["messages"][0]["content"] == "my words"


def test_view_lists_creates_and_searches_for_its_user_only(two_users, store):
    view, mine, theirs, theirs_user = two_users
    created = view.create_conversation(title="new")
    assert {c["id"] for c in view.list_conversations()} == {mine, created}
    assert [c["id"] for c in view.search_conversations(None, "words")] == [mine]
    with pytest.raises(InvalidInput, match="limited to user"):
        view.list_conversations(theirs_user)
    with pytest.raises(InvalidInput, match="limited to user"):
        view.create_conversation(theirs_user)
    assert store.get_messages(theirs)[0]["content"] == "their words"  # untouched


def test_a_view_cannot_purge_other_users(two_users, store):
    view, mine, theirs, _ = two_users
    with pytest.raises(InvalidInput, match="every user"):
        view.purge_conversations(older_than=timedelta(0))
    assert store.get_conversation(theirs) is not None and store.get_conversation(mine) is not None


def test_closing_a_view_leaves_the_store_open(two_users, store):
    view, mine, _, _ = two_users
    view.close()
    assert store.get_conversation(mine) is not None


def test_row_level_security_hides_other_users_from_raw_sql(application_url):
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    with convstore.connect(application_url, migrate=False) as app:  # the owner migrated
        alices = app.create_conversation(alice)
        bobs = app.create_conversation(bob)
        app.add_message(bobs, "user", "bob's secret")
        view = app.for_user(alice)
        with view.connection() as connection:
            # No user filter in the SQL: only the policies stand in the way.
            assert queries.get_conversation(connection, conversation_id=bobs, user_id=None) == []
            assert (
                queries.conversation_messages(connection, conversation_id=bobs, user_id=None) == []
            )
            assert queries.list_conversations(connection, user_id=bob, limit=10) == []
            assert queries.delete_conversation(connection, conversation_id=bobs, user_id=None) == []
            own = queries.get_conversation(connection, conversation_id=alices, user_id=None)
            assert [c["id"] for c in own] == [alices]
        with pytest.raises(convstore.DatabaseError, match="row-level security"):
            with view.connection() as connection:
                queries.create_conversation(
                    connection,
                    id=str(uuid.uuid4()),
                    user_id=bob,
                    title=None,
                    metadata="{}",
                    extra="{}",
                )
        # Unscoped, the same role sees everyone: the policies key on the setting.
        assert app.get_messages(bobs)[0]["content"] == "bob's secret"
