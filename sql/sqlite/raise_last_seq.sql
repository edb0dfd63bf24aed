-- Raises a conversation's last_seq to :last_seq if it is lower (an import of
-- a conversation whose newest messages had been deleted where it came from:
-- their seqs are not given again); last_seq never moves back.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :last_seq         the highest seq the conversation had given
-- Index: conversations primary key.
UPDATE conversations
   SET last_seq = :last_seq
 WHERE id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
   AND last_seq < :last_seq;
