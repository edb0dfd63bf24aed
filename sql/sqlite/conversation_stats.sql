-- Per-conversation statistics (no row if the conversation does not exist).
-- total_tokens sums the reported token counts; messages without one are not counted.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key; messages primary key (conversation_id, seq).
SELECT c.id AS conversation_id,
       count(m.seq) AS message_count,
       coalesce(sum(m.tokens), 0) AS total_tokens,
       avg(m.latency_ms) AS avg_latency_ms,
       c.created_at AS started_at,
       max(m.created_at) AS last_message_at
  FROM conversations AS c
  LEFT JOIN messages AS m ON m.conversation_id = c.id
 WHERE c.id = :conversation_id
   AND (:user_id IS NULL OR c.user_id = :user_id)
 GROUP BY c.id;
