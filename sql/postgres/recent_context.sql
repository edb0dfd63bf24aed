-- The token-budget context: every pinned message, plus the longest newest run
-- of unpinned messages whose counted tokens (unknown counts as 100) fit in
-- :max_tokens minus the pinned messages' tokens; oldest first. With
-- :keep_tool_groups the run never starts on a tool message, so a tool result is
-- never sent without the assistant message that called it. Pinned messages are
-- returned even when they alone exceed the budget. A branch's context may
-- reach into the messages it shares with its ancestors (returned with the
-- branch's id).
-- suffix_tokens is each row's running total counted from the newest message, so
-- the oldest returned row carries the context's total.
--
-- Cost O(log n + k) for k returned rows: the run from message s costs
-- total_tokens - tokens_before(s), so it fits when tokens_before(s) >=
-- total_tokens - budget; `start` finds the first such message in one index
-- descent per segment of the history (the conversation's own messages, and
-- each ancestor's shared ones, whose running totals a branch continues: a
-- segment's end, tokens_through, bounds its descent), and the window below
-- runs over the returned rows only.
-- :conversation_id   the conversation
-- :user_id           limit to this owner's conversations, or NULL for any owner
-- :max_tokens        the budget
-- :keep_tool_groups  true to never start on a tool message
-- Index: messages_context_descent (conversation_id, tokens_before, (seq + 0))
--        WHERE NOT pinned to find the start; messages primary key for the run;
--        messages_pinned_descent (conversation_id, (seq + 0)) WHERE pinned for the
--        pinned messages before it; conversation_ancestors primary key.
-- `seq + 0` (migration pg_0026): the primary key cannot serve it, so the planner
-- takes those two indexes whatever its statistics say; it would otherwise read
-- a whole seq range by the primary key where conversations look small to it.
-- OFFSET 0 keeps each LATERAL subquery an index range scan per segment of the
-- history: pulled up into a plain join, the planner, which cannot estimate the
-- segments, may hash-join a scan of every message.
WITH budget AS (
    SELECT total_tokens - (:max_tokens::bigint - pinned_tokens) AS start_at_or_after,
           :max_tokens::bigint >= pinned_tokens AS any_unpinned_fits
      FROM conversations
     WHERE id = :conversation_id
       AND (:user_id::text IS NULL OR user_id = :user_id)
), segments AS (
    SELECT stored_in, after_seq, through_seq, tokens_through
      FROM conversation_segments
     WHERE conversation_id = :conversation_id
       AND EXISTS (SELECT 1 FROM budget)
), start AS (
    SELECT coalesce(
               min((SELECT m.seq
                      FROM messages AS m
                     WHERE m.conversation_id = s.stored_in
                       AND NOT m.pinned
                       AND m.tokens_before >= (SELECT start_at_or_after
                                                 FROM budget
                                                WHERE any_unpinned_fits)
                       AND m.tokens_before <= s.tokens_through
                       AND m.seq + 0 > s.after_seq
                       AND m.seq + 0 <= s.through_seq
                       AND (NOT :keep_tool_groups::boolean OR m.role <> 'tool')
                     ORDER BY m.tokens_before, m.seq + 0
                     LIMIT 1)),
               9223372036854775807  -- nothing fits: only the pinned messages
           ) AS seq
      FROM segments AS s
), context AS (
    SELECT m.seq, m.role, m.content, m.tool_calls, m.tool_call_id, m.name, m.tokens,
           m.latency_ms, m.pinned, m.metadata, m.idempotency_key, m.created_at, m.kind,
           m.payload, m.content_parts, m.function_call, m.refusal, m.weight, m.extra,
           m.tokens_estimated
      FROM segments AS s
      CROSS JOIN LATERAL (
             SELECT m.*
               FROM messages AS m
              WHERE m.conversation_id = s.stored_in
                -- The upper bound holds for every message; it tells the planner that
                -- the range is narrow (with `>=` alone PostgreSQL expects a third of
                -- the conversation and may choose a sequential scan).
                AND m.seq BETWEEN greatest(s.after_seq + 1, (SELECT seq FROM start)) AND s.through_seq
             OFFSET 0) AS m
    UNION ALL
    SELECT m.seq, m.role, m.content, m.tool_calls, m.tool_call_id, m.name, m.tokens,
           m.latency_ms, m.pinned, m.metadata, m.idempotency_key, m.created_at, m.kind,
           m.payload, m.content_parts, m.function_call, m.refusal, m.weight, m.extra,
           m.tokens_estimated
      FROM segments AS s
      CROSS JOIN LATERAL (
             SELECT m.*
               FROM messages AS m
              WHERE m.conversation_id = s.stored_in
                AND m.pinned
                AND m.seq + 0 > s.after_seq
                AND m.seq + 0 < least(s.through_seq + 1, (SELECT seq FROM start))
             OFFSET 0) AS m
)
SELECT :conversation_id::uuid AS conversation_id, seq, role, content, tool_calls,
       tool_call_id, name, tokens, latency_ms, pinned, metadata, idempotency_key,
       created_at, kind, payload, content_parts, function_call, refusal, weight, extra,
       tokens_estimated,
       sum(coalesce(tokens, 100)) OVER (
           ORDER BY seq DESC
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
       ) AS suffix_tokens
  FROM context
 ORDER BY seq;
