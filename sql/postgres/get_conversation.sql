-- Returns one conversation (no row if it does not exist).
-- :conversation_id  the conversation
-- Index: conversations primary key.
SELECT id, user_id, title, metadata, created_at, updated_at,
       message_count
  FROM conversations
 WHERE id = :conversation_id;
