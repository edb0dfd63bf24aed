-- Sets a message's token count; returns its new counted tokens (unknown counts
-- as 100). The caller then shifts the running totals by the difference.
-- :conversation_id  the conversation
-- :seq              the message's sequence number
-- :tokens           the new count, or NULL when unknown
-- Index: messages primary key (conversation_id, seq).
UPDATE messages
   SET tokens = :tokens
 WHERE conversation_id = :conversation_id
   AND seq = :seq
RETURNING coalesce(tokens, 100) AS counted_tokens;
