-- Returns a user's conversations, most recently active first.
-- :user_id  the owner
-- :limit    how many conversations at most
-- Index: conversations_user_recent (user_id, updated_at DESC, id DESC).
SELECT id, user_id, title, metadata, created_at, updated_at,
       message_count
  FROM conversations
 WHERE user_id = :user_id
 ORDER BY updated_at DESC, id DESC
 LIMIT :limit;
