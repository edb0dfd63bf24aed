-- Changes a user's attachments behind convstore's back (their media type),
-- so a test can check that a transfer's verification notices.
-- :user_id  the user
-- Index: attachments primary key (user_id, sha256).
UPDATE attachments SET media_type = 'image/gif' WHERE user_id = :user_id;
