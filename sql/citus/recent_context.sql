-- Citus's version of sql/postgres/recent_context.sql (same rows): the
-- token-budget context, oldest first, with suffix_tokens. Its messages are
-- read by convstore_context_messages: the conversation's row and its segments
-- once, then where the context starts (one index descent per segment of the
-- history) and the messages from there and the pinned ones before it, each a
-- router query (migration pg_0030 says why). No row when the conversation
-- does not exist (or :user_id does not own it).
-- :conversation_id   the conversation
-- :user_id           limit to this owner's conversations, or NULL for any owner
-- :max_tokens        the token budget
-- :keep_tool_groups  never start the run on a tool message
-- Index: messages_context_descent (the start), messages primary key (the run),
--        messages_pinned_descent (the pinned messages before it), on each
--        segment's shard; conversations primary key.
SELECT :conversation_id::uuid AS conversation_id, seq, role, content, tool_calls,
       tool_call_id, name, tokens, latency_ms, pinned, metadata, idempotency_key,
       created_at, kind, payload, content_parts, function_call, refusal, weight, extra,
       tokens_estimated,
       sum(coalesce(tokens, 100)) OVER (
           ORDER BY seq DESC
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
       ) AS suffix_tokens
  FROM convstore_context_messages(:conversation_id, :user_id, :max_tokens, :keep_tool_groups)
 ORDER BY seq;
