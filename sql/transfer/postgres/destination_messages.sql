-- Transfer verification, destination side (PostgreSQL): the messages of some
-- conversations in (conversation_id, seq) order, as stored (the verification
-- reads JSON and times alike from either side).
-- :ids  a JSON array of conversation ids
-- Index: messages primary key (conversation_id, seq).
SELECT conversation_id::text AS conversation_id, seq, role, content, tool_calls, tool_call_id,
       name, tokens, latency_ms, pinned, tokens_before, metadata, idempotency_key,
       created_at, kind, payload, fingerprint, content_parts::text AS content_parts_json,
       function_call, refusal, weight, extra, tokens_estimated
  FROM messages
 WHERE conversation_id IN (SELECT value::uuid
                             FROM jsonb_array_elements_text(:ids::jsonb) AS ids(value))
 ORDER BY conversation_id, seq;
