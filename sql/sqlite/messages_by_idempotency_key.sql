-- The stored messages of a conversation that carry one of the given idempotency
-- keys, oldest first: what a retried append returns.
-- :conversation_id   the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :idempotency_keys  a JSON array of keys
-- Index: messages_idempotency_key (conversation_id, idempotency_key).
SELECT conversation_id, seq, role, content, tool_calls, tool_call_id, name,
       tokens, latency_ms, pinned, metadata, idempotency_key, created_at,
       kind, payload, content_parts, function_call, refusal, weight, extra, tokens_estimated
  FROM messages
 WHERE conversation_id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
   AND idempotency_key IN (SELECT value FROM json_each(:idempotency_keys))
 ORDER BY seq;
