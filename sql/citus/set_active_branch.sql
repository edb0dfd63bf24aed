-- Citus's version of sql/postgres/set_active_branch.sql (same row and
-- change): Citus refuses an UPDATE whose row a subquery finds ("non-IMMUTABLE
-- functions are not allowed in CASE or COALESCE statements");
-- convstore_set_active_branch finds the root, then updates it, each a router
-- statement (migration pg_0030).
-- :conversation_id  the branch (or root) to show
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversation_ancestors primary key, conversations primary key.
SELECT id
  FROM convstore_set_active_branch(:conversation_id, :user_id) AS id;
