-- Before the listed messages are deleted (delete_listed_messages.sql, same
-- transaction, the conversation locked): takes the counted tokens of the
-- listed unpinned messages off the running total (tokens_before) of every
-- later message, in one pass. Each later message belongs to one step: the
-- listed message just before it, whose running sum of deleted tokens is what
-- it loses. Cost: one index range per listed message, one update per later row.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seqs             the seqs of the messages, a JSON array of integers
-- Index: messages primary key (conversation_id, seq).
WITH listed AS MATERIALIZED (
    SELECT seq, CASE WHEN pinned THEN 0 ELSE coalesce(tokens, 100) END AS unpinned_tokens
      FROM messages
     WHERE conversation_id = :conversation_id
       AND (:user_id::text IS NULL OR user_id = :user_id)
       AND seq IN (SELECT value::bigint FROM jsonb_array_elements_text(:seqs::jsonb))
), steps AS (
    SELECT seq,
           lead(seq, 1, 9223372036854775807) OVER (ORDER BY seq) AS next_seq,
           sum(unpinned_tokens) OVER (ORDER BY seq) AS deleted_tokens
      FROM listed
)
UPDATE messages AS m
   SET tokens_before = m.tokens_before - s.deleted_tokens
  FROM steps AS s
 WHERE m.conversation_id = :conversation_id
   AND m.seq > s.seq
   AND m.seq <= s.next_seq
   AND s.deleted_tokens > 0;
