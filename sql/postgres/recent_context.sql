-- The token-budget context: the longest newest run of messages whose counted
-- tokens (unknown counts as 100) sum to at most :max_tokens, oldest first.
-- suffix_tokens is each row's running total counted from the newest message, so
-- the oldest returned row carries the context's total.
-- :conversation_id  the conversation
-- :max_tokens       the budget
-- Index: messages primary key (conversation_id, seq).
WITH counted AS (
    SELECT conversation_id, seq, role, content, tool_calls, tool_call_id, name,
           tokens, latency_ms, metadata, created_at,
           sum(coalesce(tokens, 100)) OVER (
               ORDER BY seq DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS suffix_tokens
      FROM messages
     WHERE conversation_id = :conversation_id
)
SELECT conversation_id, seq, role, content, tool_calls, tool_call_id, name,
       tokens, latency_ms, metadata, created_at, suffix_tokens
  FROM counted
 WHERE suffix_tokens <= :max_tokens
 ORDER BY seq;
