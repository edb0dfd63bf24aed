-- Returns the newest :limit messages of a conversation that come before
-- :before_seq (all of them when it is NULL), oldest first. A branch's
-- messages include those it shares with its ancestors (each returned with
-- the branch's id).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :limit            how many messages at most (NULL: no limit)
-- :before_seq       page back from this seq (exclusive), or NULL for the newest
-- Index: messages primary key (conversation_id, seq), read backwards from the
--        boundary in the conversation and in each ancestor it shares messages
--        of: `lowest` finds each one's :limit-th newest message (SQLite has no
--        LATERAL), so at most :limit rows of each are read; conversation_ancestors
--        primary key.
WITH segments AS (
    SELECT stored_in, after_seq,
           min(through_seq, coalesce(:before_seq, 9223372036854775807) - 1) AS through_seq
      FROM conversation_segments
     WHERE conversation_id = :conversation_id
       AND (:user_id IS NULL OR user_id = :user_id)
), lowest AS (
    SELECT s.stored_in, s.through_seq,
           CASE WHEN :limit IS NULL THEN s.after_seq + 1
                ELSE coalesce((SELECT m.seq
                                 FROM messages AS m
                                WHERE m.conversation_id = s.stored_in
                                  AND m.seq > s.after_seq
                                  AND m.seq <= s.through_seq
                                ORDER BY m.seq DESC
                                LIMIT 1 OFFSET :limit - 1),
                              s.after_seq + 1)
           END AS from_seq
      FROM segments AS s
     WHERE s.after_seq < s.through_seq
)
SELECT :conversation_id AS conversation_id, seq, role, content, tool_calls,
       tool_call_id, name, tokens, latency_ms, pinned, metadata, idempotency_key,
       created_at, kind, payload, content_parts, function_call, refusal, weight, extra,
       tokens_estimated
  FROM (SELECT m.*
          FROM lowest AS l
          JOIN messages AS m
            ON m.conversation_id = l.stored_in
           AND m.seq BETWEEN l.from_seq AND l.through_seq
         ORDER BY m.seq DESC
         LIMIT coalesce(:limit, -1)) AS newest
 ORDER BY seq;
