-- The database's size in bytes, its pages as this connection sees them (the
-- write-ahead log's included).
-- Index: none.
SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size();
