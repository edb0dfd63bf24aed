-- Ends every other session connected to :database and waits (up to 5 s each)
-- until each has ended: sessions closed by the server before the next call.
-- :database  the database whose sessions to end
-- Index: none (pg_stat_activity is a view over shared memory).
SELECT pg_terminate_backend(pid, 5000)
  FROM pg_stat_activity
 WHERE datname = :database
   AND pid <> pg_backend_pid();
