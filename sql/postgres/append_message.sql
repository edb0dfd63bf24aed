-- Appends one message to a conversation in one statement and returns it.
-- Updating the conversation row locks it, so concurrent appends to the same
-- conversation queue up and each gets the next seq (1, 2, 3 ... with no gaps);
-- the same update advances the running token total (unknown tokens count as 100)
-- and updated_at. Returns no row when the conversation does not exist.
-- :conversation_id  the conversation
-- :role             system, developer, user, assistant or tool
-- :content          the text, or NULL
-- :tool_calls       a JSON array as text, or NULL
-- :tool_call_id     the tool call a tool message answers, or NULL
-- :name             the participant's name, or NULL
-- :tokens           the token count, or NULL when unknown
-- :latency_ms       the generation latency in milliseconds, or NULL
-- :metadata         a JSON object, as text
-- Index: conversations primary key (the row lock), messages primary key.
WITH appended_at AS (
    SELECT clock_timestamp() AS at
), allocated AS (
    UPDATE conversations
       SET last_seq = last_seq + 1,
           total_tokens = total_tokens + coalesce(:tokens::integer, 100),
           updated_at = (SELECT at FROM appended_at)
     WHERE id = :conversation_id
    RETURNING id, user_id, last_seq AS seq,
              total_tokens - coalesce(:tokens::integer, 100) AS tokens_before,
              updated_at
)
INSERT INTO messages (conversation_id, seq, user_id, role, content, tool_calls,
                      tool_call_id, name, tokens, latency_ms, tokens_before,
                      metadata, created_at)
SELECT id, seq, user_id, :role, :content, :tool_calls::jsonb,
       :tool_call_id, :name, :tokens::integer, :latency_ms::integer, tokens_before,
       :metadata::jsonb, updated_at
  FROM allocated
RETURNING conversation_id, seq, role, content, tool_calls, tool_call_id, name,
          tokens, latency_ms, metadata, created_at;
