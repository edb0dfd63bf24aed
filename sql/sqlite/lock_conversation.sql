-- Returns a conversation's id and owner (no row if it does not exist). Run inside a
-- write transaction: SQLite's BEGIN IMMEDIATE already holds the file's write
-- lock, which is what the PostgreSQL version takes a row lock for.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key.
SELECT id, user_id
  FROM conversations
 WHERE id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id);
