-- Transfer, destination side (PostgreSQL): messages with their seq, running
-- totals, timestamps, kind, payload (JSON text) and fingerprint exactly as at
-- the source, and their place in the order of writes.
-- Index: messages primary key and its other indexes are maintained.
COPY messages (conversation_id, seq, user_id, role, content, tool_calls, tool_call_id,
               name, tokens, latency_ms, pinned, tokens_before, metadata,
               idempotency_key, created_at, write_order, kind, payload, fingerprint,
               content_parts, function_call, refusal, weight, extra, tokens_estimated)
FROM STDIN;
