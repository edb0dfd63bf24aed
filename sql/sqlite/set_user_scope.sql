-- SQLite has no row-level security, so convstore never runs this file: on
-- SQLite the user_id filters of the user-scoped queries are the only guard. It
-- exists so that both dialects hold the same query names, and shows the
-- PostgreSQL statement's result shape.
-- :user_id  the only owner whose conversations and messages are visible, or
--           NULL for every owner
-- Index: none.
SELECT NULL AS previous_user_id, :user_id AS user_id;
