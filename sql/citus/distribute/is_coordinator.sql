-- Distribution on Citus: whether this node is the coordinator, where tables
-- are distributed (a worker refuses). Run only where the extension exists.
-- Index: none; Citus's metadata (pg_dist_local_group).
SELECT citus_is_coordinator() AS is_coordinator;
