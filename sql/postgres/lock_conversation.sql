-- Locks a conversation's row for the rest of the transaction, so appends and
-- other edits to it wait; returns its id and owner (no row if it does not exist).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key.
SELECT id, user_id
  FROM conversations
 WHERE id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id)
   FOR UPDATE;
