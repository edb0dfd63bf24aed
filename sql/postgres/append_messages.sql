-- Appends a batch of messages to a conversation in one statement and returns
-- them in order. The conversation row is updated (and locked) once for the
-- whole batch: it reserves the next seq numbers, advances the running token
-- totals (unknown tokens count as 100; pinned messages' tokens go to
-- pinned_tokens), the message count and updated_at. Each message's
-- tokens_before is the conversation's previous total plus the unpinned tokens
-- of the batch's earlier messages. Returns no row when the conversation does
-- not exist.
-- :conversation_id  the conversation
-- :messages         a JSON array of objects with role, content, tool_calls (JSON
--                   text or null), tool_call_id, name, tokens, latency_ms, pinned
--                   and metadata (JSON text), in the order to append them
-- Index: conversations primary key (the row lock), messages primary key.
WITH batch AS (
    SELECT b.*,
           coalesce(b.tokens, 100) AS counted_tokens,
           coalesce(sum(CASE WHEN b.pinned THEN 0 ELSE coalesce(b.tokens, 100) END) OVER (
               ORDER BY b.position
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ), 0) AS unpinned_tokens_before
      FROM ROWS FROM (
               jsonb_to_recordset(:messages::jsonb)
               AS (role text, content text, tool_calls text, tool_call_id text, name text,
                   tokens integer, latency_ms integer, pinned boolean, metadata text)
           ) WITH ORDINALITY AS b(role, content, tool_calls, tool_call_id, name,
                                  tokens, latency_ms, pinned, metadata, position)
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
           updated_at = t.at
      FROM batch_totals AS t
     WHERE c.id = :conversation_id
    RETURNING c.id, c.user_id, c.updated_at,
              c.last_seq - t.message_count AS seq_before,
              c.total_tokens - t.unpinned_tokens AS tokens_before
)
INSERT INTO messages (conversation_id, seq, user_id, role, content, tool_calls,
                      tool_call_id, name, tokens, latency_ms, pinned, tokens_before,
                      metadata, created_at)
SELECT a.id, a.seq_before + b.position, a.user_id, b.role, b.content, b.tool_calls::jsonb,
       b.tool_call_id, b.name, b.tokens, b.latency_ms, b.pinned,
       a.tokens_before + b.unpinned_tokens_before, b.metadata::jsonb, a.updated_at
  FROM allocated AS a, batch AS b
 ORDER BY b.position
RETURNING conversation_id, seq, role, content, tool_calls, tool_call_id, name,
          tokens, latency_ms, pinned, metadata, created_at;
