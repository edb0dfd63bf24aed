-- Citus's version of sql/postgres/conversation_stats.sql (same row): a
-- conversation's statistics, its row read by convstore_conversation and its
-- messages by convstore_conversation_messages, so that the statement names no
-- distributed table and each read is a router query (migration pg_0030 says
-- why).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key; messages primary key (conversation_id, seq)
--        on each segment's shard; conversation_ancestors primary key.
SELECT c.id AS conversation_id,
       count(m.seq) AS message_count,
       coalesce(sum(m.tokens) FILTER (WHERE NOT m.tokens_estimated), 0) AS total_tokens,
       sum(m.latency_ms)::double precision / nullif(count(m.latency_ms), 0) AS avg_latency_ms,
       c.created_at AS started_at,
       max(m.created_at) AS last_message_at
  FROM convstore_conversation(:conversation_id, :user_id) AS c
  LEFT JOIN LATERAL convstore_conversation_messages(c.id, NULL, NULL, NULL, false, NULL) AS m
         ON true
 GROUP BY c.id, c.created_at;
