-- Adds a message to a database made by the tutorial's PostgresConversationStore
-- (tests/sql/tutorial_postgres.sql), with NULLs or any value its column types
-- take, and returns its old integer id, so the tests can check what the legacy
-- import makes of it.
-- :conversation_id  the old conversation id, or NULL
-- :role             its role, or NULL
-- :content          its text, or NULL
-- :created_at       its timestamp as PostgreSQL reads one, or NULL
-- :metadata         JSON text, or NULL
-- Index: none.
INSERT INTO messages (conversation_id, role, content, timestamp, metadata)
VALUES (:conversation_id, :role, :content, :created_at::timestamp, :metadata::jsonb)
RETURNING id;
