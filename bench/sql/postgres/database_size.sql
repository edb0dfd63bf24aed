-- The database's size on disk, in bytes (tables, indexes and TOAST).
-- Index: none.
SELECT pg_database_size(current_database()) AS bytes;
