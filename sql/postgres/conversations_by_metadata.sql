-- One user's conversations whose metadata contains :metadata (JSON
-- containment, nested objects included), most recently active first.
-- :user_id   whose conversations to look through
-- :metadata  a JSON object, as text
-- :limit     how many conversations at most
-- Index: conversations_user_activity (user_id, activity_order DESC, id DESC).
SELECT id, user_id, title, metadata, created_at, updated_at, message_count,
       parent_id, fork_seq, last_seq, extra
  FROM conversations
 WHERE user_id = :user_id
   AND metadata @> :metadata::jsonb
 ORDER BY activity_order DESC NULLS LAST, id DESC
 LIMIT :limit;
