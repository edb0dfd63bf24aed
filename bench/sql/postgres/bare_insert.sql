-- Baseline for the benchmark: one message row inserted with its seq and totals
-- already known (no allocation, no conversation update): the per-commit limit.
-- :conversation_id  :seq  :user_id  :role  :content  :tokens  :tokens_before  :metadata
-- Index: messages primary key, messages_context_start, messages_metadata.
INSERT INTO messages (conversation_id, seq, user_id, role, content, tokens,
                      tokens_before, metadata)
VALUES (:conversation_id, :seq, :user_id, :role, :content, :tokens,
        :tokens_before, :metadata::jsonb);
