-- Citus's version of sql/postgres/lock_tree_root.sql (same row and lock): Citus
-- locks rows (FOR UPDATE) only in a statement it routes to one shard, and the
-- root is found first: convstore_lock_tree_root finds it, then locks it
-- (migration pg_0030).
-- :conversation_id  any conversation of the tree
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversation_ancestors primary key, conversations primary key.
SELECT id
  FROM convstore_lock_tree_root(:conversation_id, :user_id) AS id;
