-- How many attachments a user holds, and how many references their messages
-- make to them, so a test can check what is stored once.
-- :user_id  the user
-- Index: attachments primary key; message_attachments_by_attachment.
SELECT (SELECT count(*) FROM attachments WHERE user_id = :user_id) AS attachments,
       (SELECT count(*) FROM message_attachments WHERE user_id = :user_id) AS references_made;
