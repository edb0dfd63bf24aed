-- Returns one of a user's attachments: its SHA-256, media type, size in
-- bytes and the bytes (no row if the user holds none of that SHA-256).
-- :user_id  the owner
-- :sha256   SHA-256 of the bytes, 64 lower-case hex digits
-- Index: attachments primary key (user_id, sha256).
SELECT sha256, media_type, byte_size AS bytes, data
  FROM attachments
 WHERE user_id = :user_id
   AND sha256 = :sha256;
