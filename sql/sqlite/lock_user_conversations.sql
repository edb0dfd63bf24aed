-- Returns the ids of every conversation of a user, roots of trees of
-- branches first. (PostgreSQL's version locks them before an erasure; on
-- SQLite the transaction's write lock already keeps every other writer out.)
-- :user_id  the user
-- Index: conversations_user_activity (user_id, ...).
SELECT id
  FROM conversations
 WHERE user_id = :user_id
 ORDER BY parent_id IS NOT NULL, id;
