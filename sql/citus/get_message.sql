-- Citus's version of sql/postgres/get_message.sql (same row): one message of a
-- conversation by its seq, read by convstore_conversation_messages on the
-- shard of the segment that holds it (migration pg_0030 says why).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seq              the message's seq
-- Index: messages primary key; conversation_ancestors primary key.
SELECT :conversation_id::uuid AS conversation_id, seq, role, content, tool_calls,
       tool_call_id, name, tokens, latency_ms, pinned, metadata, idempotency_key,
       created_at, kind, payload, content_parts, function_call, refusal, weight, extra,
       tokens_estimated
  FROM convstore_conversation_messages(:conversation_id, :user_id, :seq::bigint - 1,
                                       :seq, false, 1);
