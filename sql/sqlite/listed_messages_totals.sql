-- How many of the listed messages a conversation holds, and their counted
-- tokens (unknown counts as 100), unpinned and pinned apart: what deleting them
-- takes off the conversation's counters (adjust_conversation_totals.sql), and
-- how many attachments they reference (their deletion then looks for
-- attachments no message references any more). Read while holding the
-- conversation's lock.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seqs             the seqs of the messages, a JSON array of integers
-- Index: messages and message_attachments primary keys (conversation_id, seq ...),
--        one lookup per seq.
SELECT count(*) AS messages,
       coalesce(sum(CASE WHEN pinned THEN 0 ELSE coalesce(tokens, 100) END), 0)
           AS unpinned_tokens,
       coalesce(sum(CASE WHEN pinned THEN coalesce(tokens, 100) ELSE 0 END), 0)
           AS pinned_tokens,
       (SELECT count(*)
          FROM message_attachments
         WHERE conversation_id = :conversation_id
           AND (:user_id IS NULL OR user_id = :user_id)
           AND seq IN (SELECT value FROM json_each(:seqs))) AS attachments
  FROM messages
 WHERE conversation_id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
   AND seq IN (SELECT value FROM json_each(:seqs));
