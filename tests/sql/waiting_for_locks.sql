-- The sessions of this database that wait for a lock (a row lock, or the
-- tuple lock queued behind it), so a test can let go only once every writer
-- it started is waiting.
-- Index: none (pg_stat_activity is a view over shared memory).
SELECT pid
  FROM pg_stat_activity
 WHERE datname = current_database()
   AND wait_event_type = 'Lock';
