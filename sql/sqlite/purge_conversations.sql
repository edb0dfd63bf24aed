-- Deletes up to :batch_size of the conversations with no activity since
-- :cutoff, oldest first, with their messages (by cascade); returns each deleted
-- conversation's id and message count. Run it until it deletes fewer than
-- :batch_size: each batch is a short transaction, so the table is never
-- locked for long.
-- No row can change between choosing a candidate and deleting it: SQLite admits
-- one writer at a time, and this statement takes the write lock before it
-- reads (PostgreSQL's version locks its candidates instead).
-- :cutoff      a timestamp as SQLite stores it (UTC, 2026-11-25T13:38:38.123000Z;
--              convstore converts any ISO 8601 input)
-- :batch_size  how many conversations at most
-- Index: conversations_updated_at (updated_at); messages primary key for the cascade.
DELETE FROM conversations
 WHERE id IN (SELECT id
                FROM conversations
               WHERE updated_at < :cutoff
               ORDER BY updated_at
               LIMIT :batch_size)
RETURNING id, message_count;
