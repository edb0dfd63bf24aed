"""The functions convstore registers on SQLite connections."""

from __future__ import annotations

import pytest

import convstore
from convstore.db import sql_functions


def test_an_interrupt_inside_a_registered_function_is_an_interrupt(sqlite_url, user):
    """SQLite reports any exception of a Python function as "user-defined
    function raised exception"; a KeyboardInterrupt (Ctrl-C while a search
    indexes what appends left) must stay an interrupt, with nothing
    half-written, not become a DatabaseError that blames the data."""

    def interrupted(text: str) -> str:
        raise KeyboardInterrupt

    with convstore.connect(sqlite_url) as store:
        conversation_id = store.create_conversation(user)
        store.add_message(conversation_id, "user", "stored")
        with store.connection() as connection:
            connection.create_function(
                "convstore_search_text", 1, sql_functions._null_or(interrupted)
            )
            with pytest.raises(KeyboardInterrupt):
                store.search_messages(user, "stored")
            sql_functions.register(connection)
            assert store.index_pending_search(user) == 1  # the interrupted indexing left nothing
        assert [m["content"] for m in store.search_messages(user, "stored")] == ["stored"]
