-- Deletes the listed attachments (found by lock_unreferenced_attachments.sql
-- in this transaction) that no message references.
-- :user_id       limit to this owner's attachments, or NULL for any owner
-- :unreferenced  a JSON array of objects {"user_id": ..., "sha256": ...}
-- Index: attachments primary key; message_attachments_by_attachment.
DELETE FROM attachments
 WHERE (user_id, sha256) IN (SELECT json_extract(value, '$.user_id'),
                                    json_extract(value, '$.sha256')
                               FROM json_each(:unreferenced))
   AND (:user_id IS NULL OR user_id = :user_id)
   AND NOT EXISTS (SELECT 1
                     FROM message_attachments AS l
                    WHERE l.user_id = attachments.user_id
                      AND l.sha256 = attachments.sha256);
