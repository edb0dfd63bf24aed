-- Deletes the listed attachments (locked by lock_unreferenced_attachments.sql
-- in this transaction) that no message references. Checked again here: this
-- statement's snapshot is taken after the locks, so it sees a reference that
-- a write committed after the lock statement's snapshot, and keeps that
-- attachment.
-- :user_id       limit to this owner's attachments, or NULL for any owner
-- :unreferenced  a JSON array of objects {"user_id": ..., "sha256": ...}
-- Index: attachments primary key; message_attachments_by_attachment.
DELETE FROM attachments AS a
 USING jsonb_to_recordset(:unreferenced::jsonb) AS k(user_id text, sha256 text)
 WHERE a.user_id = k.user_id
   AND a.sha256 = k.sha256
   AND (:user_id::text IS NULL OR a.user_id = :user_id)
   AND NOT EXISTS (SELECT 1
                     FROM message_attachments AS l
                    WHERE l.user_id = a.user_id
                      AND l.sha256 = a.sha256);
