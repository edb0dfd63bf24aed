-- Citus's version of sql/postgres/lock_unreferenced_attachments.sql (same
-- rows and locks): attachments is a reference table and message_attachments
-- distributed, and Citus locks reference table rows (FOR UPDATE) only in a
-- statement that names no distributed table. The users' references are read
-- first (every shard), into a MATERIALIZED CTE whose rows the locking
-- statement reads.
-- :user_id   limit to this owner's attachments, or NULL for any owner
-- :user_ids  a JSON array of the users whose attachments to look at
-- Index: attachments primary key (user_id, sha256), a range per user;
--        message_attachments_by_attachment on every shard.
WITH referenced AS MATERIALIZED (
    SELECT DISTINCT l.user_id, l.sha256
      FROM message_attachments AS l
     WHERE l.user_id IN (SELECT value FROM jsonb_array_elements_text(:user_ids::jsonb))
       AND (:user_id::text IS NULL OR l.user_id = :user_id)
)
SELECT a.user_id, a.sha256
  FROM attachments AS a
 WHERE a.user_id IN (SELECT value FROM jsonb_array_elements_text(:user_ids::jsonb))
   AND (:user_id::text IS NULL OR a.user_id = :user_id)
   AND NOT EXISTS (SELECT 1
                     FROM referenced AS l
                    WHERE l.user_id = a.user_id
                      AND l.sha256 = a.sha256)
 ORDER BY a.user_id, a.sha256
   FOR UPDATE SKIP LOCKED;
