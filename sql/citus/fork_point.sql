-- Citus's version of sql/postgres/fork_point.sql (same row): what a branch
-- forked at :at_seq shares and starts from, with the parent's row read by
-- convstore_conversation and its history by convstore_conversation_messages
-- and convstore_pinned_messages, so that the statement names no distributed
-- table and each read is a router query (migration pg_0030 says why).
-- :conversation_id  the conversation to fork (the parent)
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :at_seq           the last seq the branch shares (0: none)
-- Index: conversations primary key; messages primary key (the first message
--        after :at_seq; the count when seqs have gaps), messages_pinned_descent,
--        on each segment's shard; conversation_ancestors primary key.
WITH parent AS MATERIALIZED (
    SELECT id, user_id, title, metadata, extra, last_seq, message_count, total_tokens
      FROM convstore_conversation(:conversation_id, :user_id)
     WHERE :at_seq::bigint <= last_seq
)
SELECT p.user_id, p.title, p.metadata, p.extra,
       coalesce((SELECT m.tokens_before
                   FROM convstore_conversation_messages(p.id, NULL, :at_seq, NULL, false, 1)
                        AS m),
                p.total_tokens) AS tokens_through,
       (SELECT coalesce(sum(coalesce(m.tokens, 100)), 0)
          FROM convstore_pinned_messages(p.id, NULL, :at_seq) AS m) AS pinned_tokens_through,
       CASE WHEN p.message_count = p.last_seq  -- no gaps: every seq holds a message
            THEN :at_seq::bigint
            ELSE (SELECT count(*)
                    FROM convstore_conversation_messages(p.id, NULL, NULL, :at_seq, false,
                                                         NULL))
       END AS messages_through
  FROM parent AS p;
