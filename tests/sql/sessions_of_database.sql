-- How many server sessions are connected to the database :database (the asking one included).
-- :database  the database's name
-- Index: none; pg_stat_activity is a view of the server's sessions.
SELECT count(*) AS sessions
  FROM pg_stat_activity
 WHERE datname = :database;
