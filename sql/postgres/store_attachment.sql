-- Stores an attachment's bytes for a conversation's owner, once: when the
-- owner holds them already (the same SHA-256), nothing is written, but the
-- row is locked (ON CONFLICT DO UPDATE ... WHERE false locks the row it
-- updates not), so that a concurrent deletion cannot take it away before this
-- transaction links it to its message (lock_unreferenced_attachments.sql
-- skips locked rows). Returns nothing; no row is written when the
-- conversation does not exist.
-- :conversation_id  the conversation whose message holds the attachment
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :sha256           SHA-256 of the bytes, 64 lower-case hex digits
-- :media_type       the media type the part gave (image/png, audio/wav ...)
-- :data             the bytes
-- Index: conversations primary key; attachments primary key (user_id, sha256).
WITH given AS (
    SELECT :data::bytea AS data
)
INSERT INTO attachments (user_id, sha256, media_type, data, byte_size)
SELECT c.user_id, :sha256, :media_type, g.data, octet_length(g.data)
  FROM conversations AS c, given AS g
 WHERE c.id = :conversation_id
   AND (:user_id::text IS NULL OR c.user_id = :user_id)
ON CONFLICT (user_id, sha256) DO UPDATE
   SET media_type = attachments.media_type
 WHERE false;
