-- Adds a conversation to a database made by the tutorial's PostgresConversationStore
-- (tests/sql/tutorial_postgres.sql), with NULLs or any value its column types
-- take ('infinity' is a timestamp to PostgreSQL), so the tests can check what
-- the legacy import makes of it.
-- :id          the old conversation id
-- :user_id     its owner
-- :title       its title, or NULL
-- :created_at  a timestamp as PostgreSQL reads one, or NULL
-- :updated_at  a timestamp as PostgreSQL reads one, or NULL
-- :metadata    JSON text, or NULL
-- Index: none.
INSERT INTO conversations (id, user_id, title, created_at, updated_at, metadata)
VALUES (:id, :user_id, :title, :created_at::timestamp, :updated_at::timestamp, :metadata::jsonb);
