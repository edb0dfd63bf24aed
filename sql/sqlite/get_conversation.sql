-- Returns one conversation (no row if it does not exist).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key.
SELECT id, user_id, title, metadata, created_at, updated_at,
       message_count, parent_id, fork_seq, last_seq, extra
  FROM conversations
 WHERE id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id);
