-- Transfer, destination side (PostgreSQL): new conversations, counters and
-- place in the order of writes included.
-- Index: conversations primary key and its other indexes are maintained.
COPY conversations (id, user_id, title, metadata, created_at, updated_at, last_seq,
                    message_count, total_tokens, pinned_tokens, activity_order)
FROM STDIN;
