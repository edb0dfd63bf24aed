-- Citus's version of sql/postgres/purge_conversations.sql (same rows deleted
-- and returned): Citus locks rows (FOR UPDATE) only in a statement it routes
-- to one shard, so convstore_lock_purge_candidates locks the candidates one
-- conversation at a time (migration pg_0030), in a MATERIALIZED CTE that the
-- coordinator runs before the DELETE; the DELETE keeps a candidate a fork has
-- made a parent since.
-- :cutoff      an ISO 8601 timestamp with a time zone
-- :batch_size  how many conversations at most
-- Index: conversations_updated_at (updated_at) and conversations_branches on
--        every shard; conversations primary key; messages primary key for the
--        cascade.
WITH candidates AS MATERIALIZED (
    SELECT id
      FROM convstore_lock_purge_candidates(:cutoff, :batch_size) AS id
)
DELETE FROM conversations
 WHERE id IN (SELECT id FROM candidates)
   AND id NOT IN (SELECT branch.parent_id
                    FROM conversations AS branch
                   WHERE branch.parent_id IN (SELECT id FROM candidates))
RETURNING id, message_count - inherited_messages AS message_count, parent_id;
