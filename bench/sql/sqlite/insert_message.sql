-- Bulk load for the benchmark's data, and the SQLite counterpart of COPY: message
-- rows with seq and tokens_before already computed, many per transaction.
-- :conversation_id  :seq  :user_id  :role  :content  :tokens  :tokens_before  :created_at
-- Index: messages primary key, messages_context_start (and the totals trigger).
INSERT INTO messages (conversation_id, seq, user_id, role, content, tokens,
                      tokens_before, created_at)
VALUES (:conversation_id, :seq, :user_id, :role, :content, :tokens,
        :tokens_before, :created_at);
