-- Returns every message of a conversation, oldest first.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: messages primary key (conversation_id, seq).
SELECT conversation_id, seq, role, content, tool_calls, tool_call_id, name,
       tokens, latency_ms, pinned, metadata, idempotency_key, created_at,
       kind, payload
  FROM messages
 WHERE conversation_id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id)
 ORDER BY seq;
