-- Locks some users' attachments that no message references any more, for
-- delete_unreferenced_attachments.sql to delete in the same transaction;
-- returns each one's user_id and sha256. One a concurrent write holds (it is
-- about to reference it: store_attachment.sql locked it) is skipped, and so
-- is one a concurrent deletion holds (that one deletes it).
-- :user_id   limit to this owner's attachments, or NULL for any owner
-- :user_ids  a JSON array of the users whose attachments to look at
-- Index: attachments primary key (user_id, sha256), a range per user;
--        message_attachments_by_attachment, a lookup per attachment.
SELECT a.user_id, a.sha256
  FROM attachments AS a
 WHERE a.user_id IN (SELECT value FROM jsonb_array_elements_text(:user_ids::jsonb))
   AND (:user_id::text IS NULL OR a.user_id = :user_id)
   AND NOT EXISTS (SELECT 1
                     FROM message_attachments AS l
                    WHERE l.user_id = a.user_id
                      AND l.sha256 = a.sha256)
 ORDER BY a.user_id, a.sha256
   FOR UPDATE SKIP LOCKED;
