-- Stores an attachment's bytes for a conversation's owner, once: when the
-- owner holds them already (the same SHA-256), nothing is written. (On
-- PostgreSQL the existing row is also locked against a concurrent deletion;
-- here the write lock of BEGIN IMMEDIATE already keeps every other writer
-- out.) Returns nothing; no row is written when the conversation does not
-- exist.
-- :conversation_id  the conversation whose message holds the attachment
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :sha256           SHA-256 of the bytes, 64 lower-case hex digits
-- :media_type       the media type the part gave (image/png, audio/wav ...)
-- :data             the bytes
-- Index: conversations primary key; attachments primary key (user_id, sha256).
INSERT INTO attachments (user_id, sha256, media_type, data, byte_size, created_at)
SELECT c.user_id, :sha256, :media_type, g.data, length(g.data),
       strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
  FROM conversations AS c, (SELECT :data AS data) AS g
 WHERE c.id = :conversation_id
   AND (:user_id IS NULL OR c.user_id = :user_id)
ON CONFLICT (user_id, sha256) DO NOTHING;
