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
--        messages_pinned; conversation_ancestors primary key.
WITH parent AS (
    SELECT id, user_id, title, metadata, extra, last_seq, message_count, total_tokens
      FROM conversations
     WHERE id = :conversation_id
       AND (:user_id IS NULL OR user_id = :user_id)
       AND :at_seq <= last_seq
), segments AS NOT MATERIALIZED (
    -- Not materialized: read in place, the segments are known to be few (one
    -- row per ancestor), so SQLite joins them to messages by index lookups.
    -- Materialized, it cannot tell, and (after ANALYZE) builds a Bloom filter
    -- on messages for the join, reading the whole table at every call.
    SELECT s.stored_in, s.after_seq, s.through_seq
      FROM conversation_segments AS s
     WHERE s.conversation_id = :conversation_id
       AND EXISTS (SELECT 1 FROM parent)
)
SELECT p.user_id, p.title, p.metadata, p.extra,
       coalesce((SELECT (SELECT m.tokens_before
                           FROM messages AS m
                          WHERE m.conversation_id = s.stored_in
                            AND m.seq > max(s.after_seq, :at_seq)
                            AND m.seq <= s.through_seq
                          ORDER BY m.seq
                          LIMIT 1) AS tokens_before
                   FROM segments AS s
                  WHERE s.through_seq > :at_seq
                    AND tokens_before IS NOT NULL
                  ORDER BY s.after_seq
                  LIMIT 1),
                p.total_tokens) AS tokens_through,
       (SELECT coalesce(sum(coalesce(m.tokens, 100)), 0)
          FROM segments AS s
          JOIN messages AS m
            ON m.conversation_id = s.stored_in
           AND m.pinned = 1
           AND m.seq > s.after_seq
           AND m.seq <= min(s.through_seq, :at_seq)) AS pinned_tokens_through,
       CASE WHEN p.message_count = p.last_seq  -- no gaps: every seq holds a message
            THEN :at_seq
            ELSE (SELECT count(*)
                    FROM segments AS s
                    JOIN messages AS m
                      ON m.conversation_id = s.stored_in
                     AND m.seq > s.after_seq
                     AND m.seq <= min(s.through_seq, :at_seq))
       END AS messages_through
  FROM parent AS p;
