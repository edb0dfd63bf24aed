-- Deletes a conversation and (by cascade) its messages; returns its id if it existed.
-- :conversation_id  the conversation
-- Index: conversations primary key; messages primary key for the cascade.
DELETE FROM conversations
 WHERE id = :conversation_id
RETURNING id;
