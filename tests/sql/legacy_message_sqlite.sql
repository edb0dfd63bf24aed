-- Adds a message to a database made by the tutorial's SQLiteConversationStore
-- (tests/sql/tutorial_sqlite.sql), with any value in any column, and returns
-- its old integer id, so the tests can check what the legacy import makes of it.
-- :conversation_id  the old conversation id, or NULL
-- :role             anything
-- :content          anything
-- :created_at       the message's timestamp: anything
-- :metadata         anything
-- Index: none.
INSERT INTO messages (conversation_id, role, content, timestamp, metadata)
VALUES (:conversation_id, :role, :content, :created_at, :metadata)
RETURNING id;
