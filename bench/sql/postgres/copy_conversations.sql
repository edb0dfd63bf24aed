-- Bulk load for the benchmark's data: conversations with their totals.
-- Index: conversations primary key, conversations_user_recent.
COPY conversations (id, user_id, title, created_at, updated_at, last_seq,
                    message_count, total_tokens)
FROM STDIN;
