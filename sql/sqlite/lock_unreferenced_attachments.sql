-- Returns some users' attachments that no message references any more (each
-- one's user_id and sha256), for delete_unreferenced_attachments.sql to
-- delete in the same transaction. Run inside a write transaction: SQLite's
-- BEGIN IMMEDIATE already holds the file's write lock, which is what the
-- PostgreSQL version takes row locks for.
-- :user_id   limit to this owner's attachments, or NULL for any owner
-- :user_ids  a JSON array of the users whose attachments to look at
-- Index: attachments primary key (user_id, sha256), a range per user;
--        message_attachments_by_attachment, a lookup per attachment.
SELECT a.user_id, a.sha256
  FROM attachments AS a
 WHERE a.user_id IN (SELECT value FROM json_each(:user_ids))
   AND (:user_id IS NULL OR a.user_id = :user_id)
   AND NOT EXISTS (SELECT 1
                     FROM message_attachments AS l
                    WHERE l.user_id = a.user_id
                      AND l.sha256 = a.sha256)
 ORDER BY a.user_id, a.sha256;
