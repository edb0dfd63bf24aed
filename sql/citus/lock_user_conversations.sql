-- Citus's version of sql/postgres/lock_user_conversations.sql (same rows and
-- locks, in the same order): Citus locks rows (FOR UPDATE) only in a statement
-- it routes to one shard, so convstore_lock_user_conversations locks them one
-- conversation at a time (migration pg_0030).
-- :user_id  the user
-- Index: conversations_user_activity (user_id, ...) on every shard, then the
--        primary key on each conversation's.
SELECT id
  FROM convstore_lock_user_conversations(:user_id) AS id;
