-- Locks every conversation of a user for the rest of the transaction, the
-- roots of trees of branches first (in the order forks and deletions take
-- them), so that a DELETE run next, with a snapshot taken after the locks,
-- sees every branch a concurrent fork committed; returns their ids.
-- :user_id  the user
-- Index: conversations_user_activity (user_id, ...).
SELECT id
  FROM conversations
 WHERE user_id = :user_id
 ORDER BY parent_id IS NOT NULL, id
   FOR UPDATE;
