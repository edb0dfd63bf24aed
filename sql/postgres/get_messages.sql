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
--        of (at most :limit rows each); conversation_ancestors primary key.
WITH segments AS (
    SELECT stored_in, after_seq, through_seq
      FROM conversation_segments
     WHERE conversation_id = :conversation_id
       AND (:user_id::text IS NULL OR user_id = :user_id)
)
SELECT :conversation_id::uuid AS conversation_id, seq, role, content, tool_calls,
       tool_call_id, name, tokens, latency_ms, pinned, metadata, idempotency_key,
       created_at, kind, payload, content_parts, function_call, refusal, weight, extra,
       tokens_estimated
  FROM (SELECT m.*
          FROM segments AS s
         CROSS JOIN LATERAL (
               SELECT *
                 FROM messages AS m
                WHERE m.conversation_id = s.stored_in
                  AND m.seq > s.after_seq
                  AND m.seq <= s.through_seq
                  AND m.seq < coalesce(:before_seq::bigint, 9223372036854775807)
                ORDER BY m.seq DESC
                LIMIT :limit) AS m
         ORDER BY m.seq DESC
         LIMIT :limit) AS newest
 ORDER BY seq;
