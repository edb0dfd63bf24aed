-- Adds a conversation to a database made by the tutorial's SQLiteConversationStore
-- (tests/sql/tutorial_sqlite.sql), with any value in any column (NULL times,
-- text that is not a time), so the tests can check what the legacy import makes
-- of it.
-- :id          the old conversation id, or NULL
-- :user_id     its owner
-- :title       its title
-- :created_at  anything
-- :updated_at  anything
-- :metadata    anything
-- Index: none.
INSERT INTO conversations (id, user_id, title, created_at, updated_at, metadata)
VALUES (:id, :user_id, :title, :created_at, :updated_at, :metadata);
