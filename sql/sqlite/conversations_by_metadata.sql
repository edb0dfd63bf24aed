-- One user's conversations whose metadata contains :metadata, most recently
-- active first (the order of writes), by PostgreSQL's jsonb @> rules, tested
-- as in messages_by_metadata.sql.
-- :user_id   whose conversations to look through
-- :metadata  a JSON object, as text
-- :limit     how many conversations at most
-- Index: conversations_user_activity (user_id, activity_order DESC, id DESC).
SELECT id, user_id, title, metadata, created_at, updated_at, message_count,
       parent_id, fork_seq, last_seq, extra
  FROM conversations
 WHERE user_id = :user_id
   AND convstore_json_contains(metadata, :metadata)
 ORDER BY activity_order DESC, id DESC
 LIMIT :limit;
