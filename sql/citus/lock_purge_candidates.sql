-- Citus's version of sql/postgres/lock_purge_candidates.sql: Citus locks rows
-- (FOR UPDATE) only in a statement it routes to one shard, so
-- convstore_lock_purge_candidates locks the candidates one conversation at a
-- time, passing over those another transaction holds (migration pg_0030).
-- :cutoff      an ISO 8601 timestamp with a time zone
-- :batch_size  how many conversations at most
-- Index: conversations_updated_at (updated_at) and conversations_branches on
--        every shard, then the primary key on each candidate's.
SELECT id
  FROM convstore_lock_purge_candidates(:cutoff, :batch_size) AS id;
