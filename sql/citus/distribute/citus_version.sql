-- Distribution on Citus (convstore distribute): the version of the Citus
-- extension in this database; no row without it.
-- Index: pg_extension_name_index.
SELECT extversion AS citus_version
  FROM pg_extension
 WHERE extname = 'citus';
