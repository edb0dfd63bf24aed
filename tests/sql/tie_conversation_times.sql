-- Gives every conversation of a user the same creation and activity time (the
-- latest of them), so that only the write order can tell them apart.
-- :user_id  whose conversations
-- Index: conversations_user_activity (user_id, ...).
UPDATE conversations
   SET created_at = (SELECT max(updated_at) FROM conversations WHERE user_id = :user_id),
       updated_at = (SELECT max(updated_at) FROM conversations WHERE user_id = :user_id)
 WHERE user_id = :user_id;
