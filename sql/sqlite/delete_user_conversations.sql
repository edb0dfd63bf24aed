-- Deletes every conversation of a user and (by cascade) their messages; returns
-- each deleted conversation's id and message count, for the caller's report.
-- :user_id  the user whose data to erase
-- Index: conversations_user_recent (user_id, ...); messages primary key for the cascade.
DELETE FROM conversations
 WHERE user_id = :user_id
RETURNING id, message_count - inherited_messages AS message_count;
