-- Deletes up to :batch_size of the conversations with no activity since
-- :cutoff, oldest first, with their messages (by cascade); returns each deleted
-- conversation's id, the number of messages it stored (not those it shared
-- as a branch) and its parent. A conversation with branches waits until they
-- are deleted: branches go first, and a parent whose last branch a batch
-- deleted can go in the next. Run it until it deletes fewer than :batch_size
-- and no branch: each batch is a short transaction, so the table is never
-- locked for long.
-- No row can change between choosing a candidate and deleting it: SQLite admits
-- one writer at a time, and this statement takes the write lock before it
-- reads (PostgreSQL's version locks its candidates instead).
-- :cutoff      a timestamp as SQLite stores it (UTC, 2026-11-25T13:38:38.123000Z;
--              convstore converts any ISO 8601 input)
-- :batch_size  how many conversations at most
-- Index: conversations_updated_at (updated_at); conversations_branches (is it a
--        parent?); messages primary key for the cascade.
DELETE FROM conversations
 WHERE id IN (SELECT id
                FROM conversations
               WHERE updated_at < :cutoff
                 AND NOT EXISTS (SELECT 1
                                   FROM conversations AS branch
                                  WHERE branch.parent_id = conversations.id)
               ORDER BY updated_at
               LIMIT :batch_size)
RETURNING id, message_count - inherited_messages AS message_count, parent_id;
