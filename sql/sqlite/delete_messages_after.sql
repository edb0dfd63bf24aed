-- Deletes a conversation's messages after :after_seq (their seqs are not
-- reused), once adjust_conversation_totals.sql has taken them off its counters in
-- the same transaction.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :after_seq        the last seq kept (0: delete every message)
-- Index: messages primary key (conversation_id, seq).
DELETE FROM messages
 WHERE conversation_id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
   AND seq > :after_seq;
