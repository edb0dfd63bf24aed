-- Transfer, destination side (PostgreSQL): new conversations, counters included.
-- Index: conversations primary key and its other indexes are maintained.
COPY conversations (id, user_id, title, metadata, created_at, updated_at, last_seq,
                    message_count, total_tokens, pinned_tokens)
FROM STDIN;
