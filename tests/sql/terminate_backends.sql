-- Ends every other session connected to :database, as a crash would: the
-- tests' fault injection.
-- :database  the database whose sessions to end
-- Index: none (pg_stat_activity is a view over shared memory).
SELECT pg_terminate_backend(pid)
  FROM pg_stat_activity
 WHERE datname = :database
   AND pid <> pg_backend_pid();
