"""What convstore logs."""

from __future__ import annotations


def test_the_debug_log_names_statements_and_parameters_never_values(store, user, caplog):
    """Message content is users' data: a debug log must not collect it."""
    import logging

    with caplog.at_level(logging.DEBUG, logger="convstore"):
        conversation_id = store.create_conversation(user, title="private title")
        store.add_message(conversation_id, "user", "private words", metadata={"k": "private"})
        store.search_messages(user, "private")
    assert "append_message" in caplog.text and "content" in caplog.text
    assert "private" not in caplog.text
