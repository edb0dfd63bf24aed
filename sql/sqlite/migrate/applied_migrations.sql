-- Migration bookkeeping (convstore.migrate): the ids of the migrations yoyo
-- has recorded as applied to this database, oldest first. Read-only, so the
-- schema can be checked without yoyo's lock and on a read-only database.
-- Index: _yoyo_migration primary key (migration_hash); the table is tiny.
SELECT migration_id
  FROM _yoyo_migration
 ORDER BY applied_at_utc, migration_id;
