-- Deletes the listed messages of a conversation (their seqs are not reused),
-- once listed_messages_totals.sql and shift_tokens_before_listed.sql have
-- taken them off the counters and running totals in the same transaction.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seqs             the seqs of the messages, a JSON array of integers
-- Index: messages primary key (conversation_id, seq), one lookup per seq.
DELETE FROM messages
 WHERE conversation_id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
   AND seq IN (SELECT value FROM json_each(:seqs));
