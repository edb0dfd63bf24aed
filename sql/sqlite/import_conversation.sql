-- Imports a conversation with its own id and timestamps; counters start at
-- zero and are set by recount_conversation.sql once its messages are in.
-- Returns nothing if the conversation is already there.
-- :id          the conversation's id
-- :user_id     its owner
-- :title       its title, or NULL
-- :metadata    a JSON object, as text
-- :created_at  an ISO 8601 timestamp
-- :updated_at  an ISO 8601 timestamp
-- Index: conversations primary key.
INSERT INTO conversations (id, user_id, title, metadata, created_at, updated_at)
VALUES (:id, :user_id, :title, :metadata, strftime('%Y-%m-%dT%H:%M:%fZ', :created_at), strftime('%Y-%m-%dT%H:%M:%fZ', :updated_at))
ON CONFLICT (id) DO NOTHING
RETURNING id;
