-- Transfer verification, source side (SQLite): the attachments the messages
-- of some conversations reference, each with the message's seq, the
-- attachment's owner, media type, size and bytes, in (conversation_id, seq,
-- sha256) order, as destination_attachment_links.sql returns them.
-- :ids  a JSON array of conversation ids
-- Index: message_attachments primary key, one range per conversation;
--        attachments primary key, one lookup per reference.
SELECT l.conversation_id, l.seq, l.sha256, a.user_id, a.media_type, a.byte_size, a.data
  FROM json_each(:ids) AS ids
  JOIN message_attachments AS l ON l.conversation_id = ids.value
  JOIN attachments AS a ON a.user_id = l.user_id AND a.sha256 = l.sha256
 ORDER BY l.conversation_id, l.seq, l.sha256;
