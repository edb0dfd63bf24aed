-- What a branch forked from a conversation at :at_seq shares, and starts from:
-- the conversation's owner, title, metadata and extra, and of its history
-- through :at_seq (its own messages and those it shares itself) the running total of
-- unpinned counted tokens (unknown counts as 100), the pinned messages'
-- counted tokens and the number of messages. No row if the conversation does
-- not exist or :at_seq is past its last seq. Run with the conversation locked.
-- :conversation_id  the conversation to fork (the parent)
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :at_seq           the last seq the branch shares (0: none)
-- Index: messages primary key (the first message after :at_seq, whose
--        tokens_before is the running total; the count when seqs have gaps),
--        messages_pinned_descent (bounded by `seq + 0`, which the primary key
--        cannot serve: see recent_context.sql); conversation_ancestors primary key.
-- OFFSET 0 keeps each LATERAL subquery an index range scan per segment of the
-- history: pulled up into a plain join, the planner, which cannot estimate the
-- segments, may hash-join a scan of every message.
WITH parent AS (
    SELECT id, user_id, title, metadata, extra, last_seq, message_count, total_tokens
      FROM conversations
     WHERE id = :conversation_id
       AND (:user_id::text IS NULL OR user_id = :user_id)
       AND :at_seq::bigint <= last_seq
), segments AS (
    SELECT s.stored_in, s.after_seq, s.through_seq
      FROM conversation_segments AS s
     WHERE s.conversation_id = :conversation_id
       AND EXISTS (SELECT 1 FROM parent)
)
SELECT p.user_id, p.title, p.metadata, p.extra,
       coalesce((SELECT after_fork.tokens_before
                   FROM segments AS s
                  CROSS JOIN LATERAL (
                        SELECT m.seq, m.tokens_before
                          FROM messages AS m
                         WHERE m.conversation_id = s.stored_in
                           AND m.seq > greatest(s.after_seq, :at_seq::bigint)
                           AND m.seq <= s.through_seq
                         ORDER BY m.seq
                         LIMIT 1) AS after_fork
                  ORDER BY after_fork.seq
                  LIMIT 1),
                p.total_tokens) AS tokens_through,
       (SELECT coalesce(sum(coalesce(m.tokens, 100)), 0)
          FROM segments AS s
         CROSS JOIN LATERAL (
               SELECT m.tokens
                 FROM messages AS m
                WHERE m.conversation_id = s.stored_in
                  AND m.pinned
                  AND m.seq + 0 > s.after_seq
                  AND m.seq + 0 <= least(s.through_seq, :at_seq::bigint)
               OFFSET 0) AS m
       ) AS pinned_tokens_through,
       CASE WHEN p.message_count = p.last_seq  -- no gaps: every seq holds a message
            THEN :at_seq::bigint
            ELSE (SELECT count(*)
                    FROM segments AS s
                   CROSS JOIN LATERAL (
                         SELECT m.seq
                           FROM messages AS m
                          WHERE m.conversation_id = s.stored_in
                            AND m.seq > s.after_seq
                            AND m.seq <= least(s.through_seq, :at_seq::bigint)
                         OFFSET 0) AS m)
       END AS messages_through
  FROM parent AS p;
