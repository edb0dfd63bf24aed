-- Imports a conversation with its own id and timestamps; counters start at
-- zero and are set by recount_conversation.sql once its messages are in.
-- Returns nothing if the conversation is already there.
-- :id          the conversation's id
-- :user_id     its owner
-- :title       its title, or NULL
-- :metadata    a JSON object, as text
-- :extra       the fields convstore has no column for (a JSON object, as text)
-- :created_at  an ISO 8601 timestamp
-- :updated_at  an ISO 8601 timestamp
-- Index: conversations primary key.
INSERT INTO conversations (id, user_id, title, metadata, extra, created_at, updated_at)
VALUES (:id, :user_id, :title, :metadata::jsonb, :extra::jsonb, :created_at::timestamptz,
        :updated_at::timestamptz)
-- No conflict target: a concurrent insert of the same id meets the unique
-- index conversations_id_owner too, and a conflict on an index that is not
-- the target raises instead of doing nothing.
ON CONFLICT DO NOTHING
RETURNING id;
