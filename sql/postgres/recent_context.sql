-- The token-budget context: every pinned message, plus the longest newest run
-- of unpinned messages whose counted tokens (unknown counts as 100) fit in
-- :max_tokens minus the pinned messages' tokens; oldest first. With
-- :keep_tool_groups the run never starts on a tool message, so a tool result is
-- never sent without the assistant message that called it. Pinned messages are
-- returned even when they alone exceed the budget.
-- suffix_tokens is each row's running total counted from the newest message, so
-- the oldest returned row carries the context's total.
--
-- Cost O(log n + k) for k returned rows: the run from message s costs
-- total_tokens - tokens_before(s), so it fits when tokens_before(s) >=
-- total_tokens - budget; `start` finds the first such message in one index
-- descent, and the window below runs over the returned rows only.
-- :conversation_id   the conversation
-- :user_id           limit to this owner's conversations, or NULL for any owner
-- :max_tokens        the budget
-- :keep_tool_groups  true to never start on a tool message
-- Index: messages_context_start (conversation_id, tokens_before, seq) WHERE NOT pinned
--        to find the start; messages primary key for the run; messages_pinned for
--        the pinned messages before it.
WITH budget AS (
    SELECT total_tokens - (:max_tokens::bigint - pinned_tokens) AS start_at_or_after,
           :max_tokens::bigint >= pinned_tokens AS any_unpinned_fits,
           last_seq
      FROM conversations
     WHERE id = :conversation_id
       AND (:user_id::text IS NULL OR user_id = :user_id)
), start AS (
    SELECT coalesce(
               (SELECT m.seq
                  FROM messages AS m
                 WHERE m.conversation_id = :conversation_id
                   AND NOT m.pinned
                   AND m.tokens_before >= (SELECT start_at_or_after
                                             FROM budget
                                            WHERE any_unpinned_fits)
                   AND (NOT :keep_tool_groups::boolean OR m.role <> 'tool')
                 ORDER BY m.tokens_before, m.seq
                 LIMIT 1),
               9223372036854775807  -- nothing fits: only the pinned messages
           ) AS seq
), context AS (
    SELECT m.conversation_id, m.seq, m.role, m.content, m.tool_calls, m.tool_call_id,
           m.name, m.tokens, m.latency_ms, m.pinned, m.metadata, m.idempotency_key,
           m.created_at, m.kind, m.payload
      FROM messages AS m
     WHERE m.conversation_id = :conversation_id
       -- The upper bound holds for every message; it tells the planner that
       -- the range is narrow (with `>=` alone PostgreSQL expects a third of
       -- the conversation and may choose a sequential scan).
       AND m.seq BETWEEN (SELECT seq FROM start) AND (SELECT last_seq FROM budget)
    UNION ALL
    SELECT m.conversation_id, m.seq, m.role, m.content, m.tool_calls, m.tool_call_id,
           m.name, m.tokens, m.latency_ms, m.pinned, m.metadata, m.idempotency_key,
           m.created_at, m.kind, m.payload
      FROM messages AS m
     WHERE m.conversation_id = :conversation_id
       AND m.pinned
       AND m.seq < (SELECT seq FROM start)
       AND EXISTS (SELECT 1 FROM budget)
)
SELECT conversation_id, seq, role, content, tool_calls, tool_call_id, name,
       tokens, latency_ms, pinned, metadata, idempotency_key, created_at, kind, payload,
       sum(coalesce(tokens, 100)) OVER (
           ORDER BY seq DESC
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
       ) AS suffix_tokens
  FROM context
 ORDER BY seq;
