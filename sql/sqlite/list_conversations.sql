-- Returns a user's conversations, most recently active first: the one
-- written to last (created, or given a message) first, by write order
-- (migration sqlite_0008), never by a timestamp, which can tie.
-- :user_id  the owner
-- :limit    how many conversations at most
-- Index: conversations_user_activity (user_id, activity_order DESC, id DESC).
SELECT id, user_id, title, metadata, created_at, updated_at,
       message_count, parent_id, fork_seq, last_seq, extra
  FROM conversations
 WHERE user_id = :user_id
 ORDER BY activity_order DESC, id DESC
 LIMIT :limit;
