-- SQLite has no row-level security, so convstore never runs this file: it
-- exists so that both dialects hold the same query names, and shows the
-- PostgreSQL statement's result shape (the session's user-scope key).
-- Index: none.
SELECT NULL AS scope_key;
