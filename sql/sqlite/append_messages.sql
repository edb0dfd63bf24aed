-- Appends a batch of messages to a conversation in one statement and returns
-- the ones it stored. A message whose :idempotency_key the conversation already
-- holds is a retry and is skipped (the caller reads the stored one). The
-- conversation's counters are read once, before any row is inserted (the
-- MATERIALIZED CTEs are computed first), so the i-th new message gets seq
-- last_seq + i, write order (the counter's last) + i, and tokens_before = the
-- previous total plus the unpinned tokens (unknown counts as 100) of the
-- batch's earlier new messages. The messages_advance_conversation trigger
-- then advances the conversation's counters and activity_order row by row, and
-- messages_count_write the write-order counter (migration sqlite_0019).
-- Returns no row when the conversation does not exist.
-- created_at is UTC text with microseconds (migration sqlite_0009; the clock
-- has milliseconds, so the last three digits are zeros).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :messages         a JSON array of objects with role, content, tool_calls (JSON
--                   text or null), tool_call_id, name, tokens, latency_ms, pinned,
--                   metadata (JSON text), idempotency_key, kind ('message' or
--                   null for a chat message), payload (JSON text or null),
--                   fingerprint, content_parts, function_call and extra (JSON
--                   text or null), refusal, weight and tokens_estimated, in
--                   the order to append them
-- Index: conversations primary key, messages primary key, messages_idempotency_key;
--        write_order (one row).
WITH conversation AS MATERIALIZED (
    SELECT id, user_id, last_seq, total_tokens,
           (SELECT last FROM write_order) AS write_order_before
      FROM conversations
     WHERE id = :conversation_id
       AND (:user_id IS NULL OR user_id = :user_id)
), requested AS MATERIALIZED (
    SELECT key AS requested_at,
           json_extract(value, '$.role') AS role,
           json_extract(value, '$.content') AS content,
           json_extract(value, '$.tool_calls') AS tool_calls,
           json_extract(value, '$.tool_call_id') AS tool_call_id,
           json_extract(value, '$.name') AS name,
           json_extract(value, '$.tokens') AS tokens,
           json_extract(value, '$.latency_ms') AS latency_ms,
           json_extract(value, '$.pinned') AS pinned,
           json_extract(value, '$.metadata') AS metadata,
           json_extract(value, '$.idempotency_key') AS idempotency_key,
           json_extract(value, '$.kind') AS kind,
           json_extract(value, '$.payload') AS payload,
           json_extract(value, '$.fingerprint') AS fingerprint,
           json_extract(value, '$.content_parts') AS content_parts,
           json_extract(value, '$.function_call') AS function_call,
           json_extract(value, '$.refusal') AS refusal,
           json_extract(value, '$.weight') AS weight,
           json_extract(value, '$.extra') AS extra,
           json_extract(value, '$.tokens_estimated') AS tokens_estimated
      FROM json_each(:messages)
), batch AS MATERIALIZED (
    SELECT r.*,
           row_number() OVER (ORDER BY r.requested_at) AS position,
           coalesce(sum(CASE WHEN r.pinned THEN 0 ELSE coalesce(r.tokens, 100) END) OVER (
               ORDER BY r.requested_at
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ), 0) AS unpinned_tokens_before
      FROM requested AS r
     WHERE NOT EXISTS (SELECT 1
                         FROM messages AS m
                        WHERE m.conversation_id = :conversation_id
                          AND m.idempotency_key = r.idempotency_key)
)
INSERT INTO messages (conversation_id, seq, user_id, role, content, tool_calls,
                      tool_call_id, name, tokens, latency_ms, pinned, tokens_before,
                      metadata, idempotency_key, created_at, kind, payload, fingerprint,
                      content_parts, function_call, refusal, weight, extra, tokens_estimated,
                      write_order)
SELECT c.id, c.last_seq + b.position, c.user_id, b.role, b.content, b.tool_calls,
       b.tool_call_id, b.name, b.tokens, b.latency_ms, b.pinned,
       c.total_tokens + b.unpinned_tokens_before, b.metadata, b.idempotency_key,
       strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z', coalesce(b.kind, 'message'), b.payload, b.fingerprint,
       b.content_parts, b.function_call, b.refusal, b.weight, b.extra, b.tokens_estimated,
       c.write_order_before + b.position
  FROM conversation AS c, batch AS b
 ORDER BY b.position
RETURNING conversation_id, seq, role, content, tool_calls, tool_call_id, name,
          tokens, latency_ms, pinned, metadata, idempotency_key, created_at, kind, payload,
          content_parts, function_call, refusal, weight, extra, tokens_estimated;
