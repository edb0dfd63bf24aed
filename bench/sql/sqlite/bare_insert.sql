-- Baseline for the benchmark: one message row inserted with its seq and totals
-- already known (no allocation): the per-commit limit.
-- :conversation_id  :seq  :user_id  :role  :content  :tokens  :tokens_before  :metadata
-- Index: messages primary key, messages_context_start. The messages_advance_conversation
-- trigger fires too: on SQLite it is part of every insert into messages.
INSERT INTO messages (conversation_id, seq, user_id, role, content, tokens,
                      tokens_before, metadata)
VALUES (:conversation_id, :seq, :user_id, :role, :content, :tokens,
        :tokens_before, :metadata);
