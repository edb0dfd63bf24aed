-- Per-conversation statistics (no row if the conversation does not exist);
-- a branch's count the messages it shares with its ancestors.
-- total_tokens sums the reported token counts; messages without one (whose
-- tokens is convstore's estimate, or NULL) are not counted.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key; messages primary key (conversation_id, seq);
--        conversation_ancestors primary key.
WITH segments AS (
    SELECT stored_in, after_seq, through_seq
      FROM conversation_segments
     WHERE conversation_id = :conversation_id
       AND (:user_id IS NULL OR user_id = :user_id)
)
SELECT c.id AS conversation_id,
       count(m.seq) AS message_count,
       coalesce(sum(m.tokens) FILTER (WHERE NOT m.tokens_estimated), 0) AS total_tokens,
       avg(m.latency_ms) AS avg_latency_ms,
       c.created_at AS started_at,
       max(m.created_at) AS last_message_at
  FROM conversations AS c
  JOIN segments AS s ON 1
  LEFT JOIN messages AS m
    ON m.conversation_id = s.stored_in
   AND m.seq > s.after_seq
   AND m.seq <= s.through_seq
 WHERE c.id = :conversation_id
 GROUP BY c.id;
