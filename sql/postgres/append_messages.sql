-- Appends a batch of messages to a conversation in one statement and returns
-- the ones it stored, in order. A message whose :idempotency_key the
-- conversation already holds is a retry and is skipped (the caller reads the
-- stored one). The conversation row is updated (and locked) once for the whole
-- batch: it reserves the next seq numbers, advances the running token totals
-- (unknown tokens count as 100; pinned messages' tokens go to pinned_tokens),
-- the message count, updated_at and activity_order (the next write order;
-- each message takes one too, in batch order: migration pg_0016). Each message's tokens_before is the
-- conversation's previous total plus the unpinned tokens of the batch's earlier
-- messages. Returns no row when the conversation does not exist.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :messages         a JSON array of objects with role, content, tool_calls (JSON
--                   text or null), tool_call_id, name, tokens, latency_ms, pinned,
--                   metadata (JSON text), idempotency_key, kind ('message' or
--                   null for a chat message), payload (JSON text or null),
--                   fingerprint, content_parts, function_call and extra (JSON
--                   text or null), refusal, weight and tokens_estimated, in
--                   the order to append them
-- Index: conversations primary key (the row lock), messages primary key,
--        messages_idempotency_key.
WITH requested AS (
    SELECT r.*
      FROM ROWS FROM (
               jsonb_to_recordset(:messages::jsonb)
               AS (role text, content text, tool_calls text, tool_call_id text, name text,
                   tokens integer, latency_ms integer, pinned boolean, metadata text,
                   idempotency_key text, kind text, payload text, fingerprint text,
                   content_parts text, function_call text, refusal text, weight smallint,
                   extra text, tokens_estimated boolean)
           ) WITH ORDINALITY AS r(role, content, tool_calls, tool_call_id, name, tokens,
                                  latency_ms, pinned, metadata, idempotency_key, kind,
                                  payload, fingerprint, content_parts, function_call,
                                  refusal, weight, extra, tokens_estimated, requested_at)
), batch AS (
    SELECT r.*,
           row_number() OVER (ORDER BY r.requested_at) AS position,
           coalesce(r.tokens, 100) AS counted_tokens,
           coalesce(sum(CASE WHEN r.pinned THEN 0 ELSE coalesce(r.tokens, 100) END) OVER (
               ORDER BY r.requested_at
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ), 0) AS unpinned_tokens_before
      FROM requested AS r
     WHERE NOT EXISTS (SELECT 1
                         FROM messages AS m
                        WHERE m.conversation_id = :conversation_id
                          AND m.idempotency_key = r.idempotency_key)
), batch_totals AS (
    SELECT count(*) AS message_count,
           coalesce(sum(counted_tokens) FILTER (WHERE NOT pinned), 0) AS unpinned_tokens,
           coalesce(sum(counted_tokens) FILTER (WHERE pinned), 0) AS pinned_tokens,
           clock_timestamp() AS at
      FROM batch
), allocated AS (
    UPDATE conversations AS c
       SET last_seq = c.last_seq + t.message_count,
           message_count = c.message_count + t.message_count,
           total_tokens = c.total_tokens + t.unpinned_tokens,
           pinned_tokens = c.pinned_tokens + t.pinned_tokens,
           updated_at = t.at,
           activity_order = convstore_write_order()
      FROM batch_totals AS t
     WHERE c.id = :conversation_id
       AND (:user_id::text IS NULL OR c.user_id = :user_id)
       AND t.message_count > 0
    RETURNING c.id, c.user_id, c.updated_at,
              c.last_seq - t.message_count AS seq_before,
              c.total_tokens - t.unpinned_tokens AS tokens_before
)
INSERT INTO messages (conversation_id, seq, user_id, role, content, tool_calls,
                      tool_call_id, name, tokens, latency_ms, pinned, tokens_before,
                      metadata, idempotency_key, created_at, kind, payload, fingerprint,
                      content_parts, function_call, refusal, weight, extra, tokens_estimated)
SELECT a.id, a.seq_before + b.position, a.user_id, b.role, b.content, b.tool_calls::jsonb,
       b.tool_call_id, b.name, b.tokens, b.latency_ms, b.pinned,
       a.tokens_before + b.unpinned_tokens_before, b.metadata::jsonb, b.idempotency_key,
       a.updated_at, coalesce(b.kind, 'message'), b.payload::jsonb, b.fingerprint,
       b.content_parts::jsonb, b.function_call::jsonb, b.refusal, b.weight, b.extra::jsonb,
       b.tokens_estimated
  FROM allocated AS a, batch AS b
 ORDER BY b.position
RETURNING conversation_id, seq, role, content, tool_calls, tool_call_id, name,
          tokens, latency_ms, pinned, metadata, idempotency_key, created_at, kind, payload,
          content_parts, function_call, refusal, weight, extra, tokens_estimated;
