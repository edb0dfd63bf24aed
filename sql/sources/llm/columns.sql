-- llm's logs.db: the columns of each of its tables, so that a reader asks
-- only for what the file's llm version wrote (older files lack later tables
-- and columns; llm's migrations add them: llm/migrations.py).
-- Index: none; reads the schema (sqlite_master) only.
SELECT m.name AS table_name, p.name AS column_name
  FROM sqlite_master AS m
  JOIN pragma_table_info(m.name) AS p
 WHERE m.type = 'table'
 ORDER BY m.name, p.cid;
