-- Returns the conversations a purge deletes next (up to
-- :batch_size with no activity since :cutoff and no branches, oldest first).
-- (PostgreSQL's version locks them first; on SQLite the transaction's write
-- lock already keeps every other writer out.)
-- :cutoff      a timestamp as SQLite stores it (UTC, 2026-11-25T13:38:38.123000Z)
-- :batch_size  how many conversations at most
-- Index: conversations_updated_at (updated_at); conversations_branches.
SELECT id
  FROM conversations
 WHERE updated_at < :cutoff
   AND NOT EXISTS (SELECT 1
                     FROM conversations AS branch
                    WHERE branch.parent_id = conversations.id)
 ORDER BY updated_at
 LIMIT :batch_size;
