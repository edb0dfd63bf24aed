-- Deletes one message; returns its counted tokens (unknown counts as 100) and
-- whether it was pinned, for the caller to take off the running totals. Its seq
-- is not reused.
-- :conversation_id  the conversation
-- :seq              the message's sequence number
-- Index: messages primary key (conversation_id, seq).
DELETE FROM messages
 WHERE conversation_id = :conversation_id
   AND seq = :seq
RETURNING coalesce(tokens, 100) AS counted_tokens, pinned;
