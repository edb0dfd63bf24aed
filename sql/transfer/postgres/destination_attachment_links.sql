-- Transfer verification, destination side (PostgreSQL): the attachments the
-- messages of some conversations reference, each with the message's seq, the
-- attachment's owner, media type, size and bytes, in (conversation_id, seq,
-- sha256) order, as source_attachment_links.sql returns them.
-- :ids  a JSON array of conversation ids
-- Index: message_attachments primary key, one range per conversation;
--        attachments primary key, one lookup per reference.
SELECT l.conversation_id::text AS conversation_id, l.seq, l.sha256, a.user_id, a.media_type,
       a.byte_size, a.data
  FROM message_attachments AS l
  JOIN attachments AS a ON a.user_id = l.user_id AND a.sha256 = l.sha256
 WHERE l.conversation_id IN (SELECT value::uuid
                               FROM jsonb_array_elements_text(:ids::jsonb) AS ids(value))
 ORDER BY l.conversation_id, l.seq, l.sha256;
