-- waiting_for_locks.sql on a Citus coordinator: the coordinator's sessions
-- whose distributed transactions wait for a lock on a worker
-- (citus_lock_waits, by global process id: see blocked_by.sql here), and
-- those that wait on the coordinator itself.
-- Index: none (views over each node's shared memory).
SELECT mod(waiting_gpid, 10000000000) AS pid
  FROM citus_lock_waits
 WHERE waiting_gpid / 10000000000 = citus_backend_gpid() / 10000000000
UNION
SELECT pid
  FROM pg_stat_activity
 WHERE datname = current_database()
   AND wait_event_type = 'Lock';
