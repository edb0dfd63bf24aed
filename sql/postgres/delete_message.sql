-- Deletes one message; returns its counted tokens (unknown counts as 100) and
-- whether it was pinned, for the caller to take off the running totals. Its seq
-- is not reused.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seq              the message's sequence number
-- Index: messages primary key (conversation_id, seq).
DELETE FROM messages
 WHERE conversation_id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id)
   AND seq = :seq
RETURNING coalesce(tokens, 100) AS counted_tokens, pinned;
