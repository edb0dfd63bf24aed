-- Returns one message (no row if it does not exist).
-- :conversation_id  the conversation
-- :seq              the message's sequence number
-- Index: messages primary key (conversation_id, seq).
SELECT conversation_id, seq, role, content, tool_calls, tool_call_id, name,
       tokens, latency_ms, pinned, metadata, idempotency_key, created_at
  FROM messages
 WHERE conversation_id = :conversation_id
   AND seq = :seq;
