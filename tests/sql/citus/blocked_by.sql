-- blocked_by.sql on a Citus coordinator: a statement routed to a worker waits
-- there, for a lock a worker session of another distributed transaction holds,
-- which citus_lock_waits names by global process id (the node id times 10^10
-- plus the process id, citus_backend_gpid(); both sessions here are the
-- coordinator's). Waits on the coordinator itself as in blocked_by.sql.
-- :pid  the blocking session's process id
-- Index: none (views over each node's shared memory).
SELECT mod(waiting_gpid, 10000000000) AS pid
  FROM citus_lock_waits
 WHERE blocking_gpid = citus_backend_gpid() - pg_backend_pid() + :pid::integer
UNION
SELECT pid
  FROM pg_stat_activity
 WHERE :pid::integer = ANY (pg_blocking_pids(pid));
