-- Per-conversation statistics (no row if the conversation does not exist);
-- a branch's count the messages it shares with its ancestors.
-- total_tokens sums the reported token counts; messages without one (whose
-- tokens is convstore's estimate, or NULL) are not counted.
-- avg_latency_ms is the exact sum divided once in double precision, as SQLite's
-- avg() computes it (avg()::double precision rounds twice: 13333.333333333332
-- for 13333, 13333, 13334 where SQLite gives 13333.333333333334).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key; messages primary key (conversation_id, seq);
--        conversation_ancestors primary key.
-- OFFSET 0 keeps each LATERAL subquery an index range scan per segment of the
-- history: pulled up into a plain join, the planner, which cannot estimate the
-- segments, may hash-join a scan of every message.
WITH segments AS (
    SELECT stored_in, after_seq, through_seq
      FROM conversation_segments
     WHERE conversation_id = :conversation_id
       AND (:user_id::text IS NULL OR user_id = :user_id)
)
SELECT c.id AS conversation_id,
       count(m.seq) AS message_count,
       coalesce(sum(m.tokens) FILTER (WHERE NOT m.tokens_estimated), 0) AS total_tokens,
       sum(m.latency_ms)::double precision / nullif(count(m.latency_ms), 0) AS avg_latency_ms,
       c.created_at AS started_at,
       max(m.created_at) AS last_message_at
  FROM conversations AS c
  JOIN segments AS s ON true
  LEFT JOIN LATERAL (
         SELECT m.*
           FROM messages AS m
          WHERE m.conversation_id = s.stored_in
            AND m.seq > s.after_seq
            AND m.seq <= s.through_seq
         OFFSET 0) AS m ON true
 WHERE c.id = :conversation_id
 GROUP BY c.id;
