-- Adds :delta to the running total (tokens_before) of every message after
-- :seq, after an unpinned message's counted tokens changed by :delta. Costs one
-- row update per later message: cheap near the newest end, slow far back.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seq              the changed message's sequence number
-- :delta            the change in its counted tokens
-- Index: messages primary key (conversation_id, seq).
UPDATE messages
   SET tokens_before = tokens_before + :delta
 WHERE conversation_id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
   AND seq > :seq;
