-- Locks the conversations a purge deletes next (up to
-- :batch_size with no activity since :cutoff and no branches, oldest first,
-- skipping locked ones, as purge_conversations.sql chooses them), for
-- purge_listed_conversations.sql to delete in the same transaction; returns
-- their ids.
-- :cutoff      an ISO 8601 timestamp with a time zone
-- :batch_size  how many conversations at most
-- Index: conversations_updated_at (updated_at); conversations_branches.
SELECT id
  FROM conversations
 WHERE updated_at < :cutoff::timestamptz
   AND NOT EXISTS (SELECT 1
                     FROM conversations AS branch
                    WHERE branch.parent_id = conversations.id)
 ORDER BY updated_at
 LIMIT :batch_size
   FOR UPDATE SKIP LOCKED;
