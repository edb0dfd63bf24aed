-- SQLite has no such command, so convstore never runs this file: a connection
-- lent to SQL of the caller's own is closed instead (a new one costs less than
-- checking every setting it may have changed). It exists so that both
-- dialects hold the same query names.
-- Index: none.
SELECT NULL AS reset;
