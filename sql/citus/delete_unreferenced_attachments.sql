-- Citus's version of sql/postgres/delete_unreferenced_attachments.sql (same
-- rows deleted): attachments is a reference table and message_attachments
-- distributed, and Citus reads no distributed table in a statement that
-- changes a reference table. The listed attachments' references are read
-- first (every shard), into a MATERIALIZED CTE whose rows the DELETE reads;
-- both in this statement, after the locks, as there.
-- :user_id       limit to this owner's attachments, or NULL for any owner
-- :unreferenced  a JSON array of objects {"user_id": ..., "sha256": ...}
-- Index: attachments primary key; message_attachments_by_attachment on every
--        shard.
WITH referenced AS MATERIALIZED (
    SELECT DISTINCT l.user_id, l.sha256
      FROM message_attachments AS l
      JOIN jsonb_to_recordset(:unreferenced::jsonb) AS k(user_id text, sha256 text)
        ON l.user_id = k.user_id
       AND l.sha256 = k.sha256
)
DELETE FROM attachments AS a
 USING jsonb_to_recordset(:unreferenced::jsonb) AS k(user_id text, sha256 text)
 WHERE a.user_id = k.user_id
   AND a.sha256 = k.sha256
   AND (:user_id::text IS NULL OR a.user_id = :user_id)
   AND NOT EXISTS (SELECT 1
                     FROM referenced AS l
                    WHERE l.user_id = a.user_id
                      AND l.sha256 = a.sha256);
