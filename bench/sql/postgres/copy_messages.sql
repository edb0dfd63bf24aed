-- Bulk load for the benchmark's data, and the COPY baseline: message rows with
-- seq and tokens_before already computed.
-- Index: messages primary key, messages_context_descent, messages_metadata.
COPY messages (conversation_id, seq, user_id, role, content, tokens,
               tokens_before, created_at)
FROM STDIN;
