-- Per-conversation statistics (no row if the conversation does not exist).
-- total_tokens sums the reported token counts; messages without one are not counted.
-- avg_latency_ms is the exact sum divided once in double precision, as SQLite's
-- avg() computes it (avg()::double precision rounds twice: 13333.333333333332
-- for 13333, 13333, 13334 where SQLite gives 13333.333333333334).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key; messages primary key (conversation_id, seq).
SELECT c.id AS conversation_id,
       count(m.seq) AS message_count,
       coalesce(sum(m.tokens), 0) AS total_tokens,
       sum(m.latency_ms)::double precision / nullif(count(m.latency_ms), 0) AS avg_latency_ms,
       c.created_at AS started_at,
       max(m.created_at) AS last_message_at
  FROM conversations AS c
  LEFT JOIN messages AS m ON m.conversation_id = c.id
 WHERE c.id = :conversation_id
   AND (:user_id::text IS NULL OR c.user_id = :user_id)
 GROUP BY c.id;
