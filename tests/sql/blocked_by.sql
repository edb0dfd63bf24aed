-- The sessions that wait for a lock session :pid holds, so a test can let a
-- statement go on only once it is blocked.
-- :pid  the blocking session's process id
-- Index: none (pg_stat_activity is a view over shared memory).
SELECT pid
  FROM pg_stat_activity
 WHERE :pid::integer = ANY (pg_blocking_pids(pid));
