-- Gives every message of a user the same time (the latest of them), so that
-- only the write order can tell them apart.
-- :user_id  whose messages
-- Index: messages_user_write_order (user_id, ...).
UPDATE messages
   SET created_at = (SELECT max(created_at) FROM messages WHERE user_id = :user_id)
 WHERE user_id = :user_id;
