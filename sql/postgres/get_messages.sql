-- Returns the newest :limit messages of a conversation that come before
-- :before_seq (all of them when it is NULL), oldest first.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :limit            how many messages at most (NULL: no limit)
-- :before_seq       page back from this seq (exclusive), or NULL for the newest
-- Index: messages primary key (conversation_id, seq), read backwards from the boundary.
SELECT conversation_id, seq, role, content, tool_calls, tool_call_id, name,
       tokens, latency_ms, pinned, metadata, idempotency_key, created_at,
       kind, payload
  FROM (SELECT *
          FROM messages
         WHERE conversation_id = :conversation_id
           AND (:user_id::text IS NULL OR user_id = :user_id)
           AND seq < coalesce(:before_seq::bigint, 9223372036854775807)
         ORDER BY seq DESC
         LIMIT :limit) AS newest
 ORDER BY seq;
