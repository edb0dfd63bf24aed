-- The next page of a user's conversations active since :since, in id order,
-- for export.
-- :user_id   whose conversations
-- :since     an ISO 8601 timestamp, or NULL for all
-- :after_id  the last id of the previous page (the nil UUID for the first)
-- :limit     the page size
-- Index: conversations_user_recent (user_id, ...).
SELECT id, user_id, title, metadata, created_at, updated_at
  FROM conversations
 WHERE user_id = :user_id
   AND (:since::timestamptz IS NULL OR updated_at >= :since::timestamptz)
   AND id > :after_id::uuid
 ORDER BY id
 LIMIT :limit;
