-- Distribution on Citus: the tables of this database that Citus already
-- distributes or keeps as reference tables (not the local tables it may have
-- added to its metadata, which are still to distribute).
-- Index: none; Citus's view citus_tables reads its metadata (pg_dist_partition).
SELECT table_name::text AS table_name
  FROM citus_tables
 WHERE citus_table_type IN ('distributed', 'reference');
