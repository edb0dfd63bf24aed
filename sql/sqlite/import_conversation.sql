-- Imports a conversation with its own id and timestamps; counters start at
-- zero and are set by recount_conversation.sql once its messages are in.
-- Returns nothing if the conversation is already there.
-- :id          the conversation's id
-- :user_id     its owner
-- :title       its title, or NULL
-- :metadata    a JSON object, as text
-- :extra       the fields convstore has no column for (a JSON object, as text)
-- :created_at  a timestamp as SQLite stores it (UTC, 2026-11-25T13:38:38.123000Z;
--              convstore converts any ISO 8601 input)
-- :updated_at  the same
-- Index: conversations primary key.
INSERT INTO conversations (id, user_id, title, metadata, extra, created_at, updated_at)
VALUES (:id, :user_id, :title, :metadata, :extra, :created_at, :updated_at)
ON CONFLICT (id) DO NOTHING
RETURNING id;
