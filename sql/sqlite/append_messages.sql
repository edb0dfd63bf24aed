-- Appends a batch of messages to a conversation in one statement and returns
-- them. The conversation's counters are read once, before any row is inserted
-- (the MATERIALIZED CTEs are computed first), so message i of the batch gets
-- seq last_seq + i, and tokens_before = the previous total plus the unpinned
-- tokens (unknown counts as 100) of the batch's earlier messages. The
-- messages_advance_conversation trigger then advances the conversation's
-- counters row by row. Returns no row when the conversation does not exist.
-- :conversation_id  the conversation
-- :messages         a JSON array of objects with role, content, tool_calls (JSON
--                   text or null), tool_call_id, name, tokens, latency_ms, pinned
--                   and metadata (JSON text), in the order to append them
-- Index: conversations primary key, messages primary key.
WITH conversation AS MATERIALIZED (
    SELECT id, user_id, last_seq, total_tokens
      FROM conversations
     WHERE id = :conversation_id
), batch AS MATERIALIZED (
    SELECT key + 1 AS position,
           json_extract(value, '$.role') AS role,
           json_extract(value, '$.content') AS content,
           json_extract(value, '$.tool_calls') AS tool_calls,
           json_extract(value, '$.tool_call_id') AS tool_call_id,
           json_extract(value, '$.name') AS name,
           json_extract(value, '$.tokens') AS tokens,
           json_extract(value, '$.latency_ms') AS latency_ms,
           json_extract(value, '$.pinned') AS pinned,
           json_extract(value, '$.metadata') AS metadata,
           coalesce(sum(CASE WHEN json_extract(value, '$.pinned')
                             THEN 0 ELSE coalesce(json_extract(value, '$.tokens'), 100) END)
                        OVER (ORDER BY key ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                    0) AS unpinned_tokens_before
      FROM json_each(:messages)
)
INSERT INTO messages (conversation_id, seq, user_id, role, content, tool_calls,
                      tool_call_id, name, tokens, latency_ms, pinned, tokens_before,
                      metadata)
SELECT c.id, c.last_seq + b.position, c.user_id, b.role, b.content, b.tool_calls,
       b.tool_call_id, b.name, b.tokens, b.latency_ms, b.pinned,
       c.total_tokens + b.unpinned_tokens_before, b.metadata
  FROM conversation AS c, batch AS b
 ORDER BY b.position
RETURNING conversation_id, seq, role, content, tool_calls, tool_call_id, name,
          tokens, latency_ms, pinned, metadata, created_at;
