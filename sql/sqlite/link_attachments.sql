-- Records which attachments messages of a conversation reference (each
-- stored by store_attachment.sql in this transaction): one row per message
-- and attachment, with the conversation's owner. Returns nothing.
-- :conversation_id  the conversation that stores the messages
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :links            a JSON array of objects {"seq": <the message's seq>,
--                   "sha256": <the attachment's SHA-256>}
-- Index: conversations primary key; message_attachments primary key, and the
--        foreign keys' (messages and attachments primary keys).
INSERT INTO message_attachments (conversation_id, seq, user_id, sha256)
SELECT c.id, json_extract(l.value, '$.seq'), c.user_id, json_extract(l.value, '$.sha256')
  FROM conversations AS c, json_each(:links) AS l
 WHERE c.id = :conversation_id
   AND (:user_id IS NULL OR c.user_id = :user_id);
