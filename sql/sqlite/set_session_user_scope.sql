-- SQLite has no row-level security, so convstore never runs this file: it
-- exists so that both dialects hold the same query names, and shows the
-- PostgreSQL statement's result shape (the scope before the change).
-- :scope_key  the key returned by claim_scope_key on this session
-- :user_id    the only owner whose rows are visible, or NULL for every owner
-- Index: none.
SELECT NULL AS previous_user_id
  FROM (SELECT :scope_key AS scope_key, :user_id AS user_id);
