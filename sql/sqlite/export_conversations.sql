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
   AND (:since IS NULL OR updated_at >= (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(:since, 1, 19) || ltrim(substr(:since, 21), '0123456789') ELSE :since END)
       || '.' || substr(CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(substr(:since, 21), 1, length(substr(:since, 21)) - length(ltrim(substr(:since, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z'))
   AND id > :after_id
 ORDER BY id
 LIMIT :limit;
