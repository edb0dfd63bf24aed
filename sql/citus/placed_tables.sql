-- Distribution on Citus: the tables that Citus already holds in this database,
-- and how: citus_table_type 'distributed' (by distribution_column) or
-- 'reference' (a copy on every node), or 'local' (added to its metadata).
-- Index: none; Citus's view citus_tables reads its metadata (pg_dist_partition).
SELECT table_name::text AS table_name,
       citus_table_type,
       distribution_column
  FROM citus_tables;
