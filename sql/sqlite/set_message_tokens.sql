-- Sets a message's token count; returns its new counted tokens (unknown counts
-- as 100) and whether it is pinned. The caller then shifts the running totals
-- by the difference.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seq              the message's sequence number
-- :tokens           the new count, or NULL when unknown
-- :tokens_estimated 1 when :tokens is convstore's estimate
-- Index: messages primary key (conversation_id, seq).
UPDATE messages
   SET tokens = :tokens,
       tokens_estimated = :tokens_estimated
 WHERE conversation_id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
   AND seq = :seq
RETURNING coalesce(tokens, 100) AS counted_tokens, pinned;
