-- Citus's version of sql/postgres/get_messages.sql (same rows): the newest
-- :limit messages of a conversation before :before_seq, oldest first, read by
-- convstore_conversation_messages one segment at a time, each a router query
-- (migration pg_0030 says why).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :limit            how many messages at most (NULL: no limit)
-- :before_seq       page back from this seq (exclusive), or NULL for the newest
-- Index: messages primary key (conversation_id, seq), read backwards on each
--        segment's shard; conversation_ancestors primary key.
SELECT :conversation_id::uuid AS conversation_id, seq, role, content, tool_calls,
       tool_call_id, name, tokens, latency_ms, pinned, metadata, idempotency_key,
       created_at, kind, payload, content_parts, function_call, refusal, weight, extra,
       tokens_estimated
  FROM convstore_conversation_messages(:conversation_id, :user_id, NULL,
                                       :before_seq::bigint - 1, true, :limit)
 ORDER BY seq;
