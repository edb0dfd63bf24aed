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
VALUES (:id, :user_id, :title, :metadata, (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:created_at, 20, 1) IN ('.', ',') THEN substr(:created_at, 1, 19) || ltrim(substr(:created_at, 21), '0123456789') ELSE :created_at END)
       || '.' || substr(CASE WHEN substr(:created_at, 20, 1) IN ('.', ',') THEN substr(substr(:created_at, 21), 1, length(substr(:created_at, 21)) - length(ltrim(substr(:created_at, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z'), (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:updated_at, 20, 1) IN ('.', ',') THEN substr(:updated_at, 1, 19) || ltrim(substr(:updated_at, 21), '0123456789') ELSE :updated_at END)
       || '.' || substr(CASE WHEN substr(:updated_at, 20, 1) IN ('.', ',') THEN substr(substr(:updated_at, 21), 1, length(substr(:updated_at, 21)) - length(ltrim(substr(:updated_at, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z'))
ON CONFLICT (id) DO NOTHING
RETURNING id;
