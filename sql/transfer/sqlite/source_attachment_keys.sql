-- Transfer, source side (SQLite): the attachments that the messages of some
-- conversations after a seq of each (the messages the page copies)
-- reference, once each: their owner and SHA-256, for the destination to say
-- which it lacks.
-- :after_seqs  a JSON object: conversation id -> the seq to start after
-- Index: message_attachments primary key (conversation_id, seq, sha256), one
--        range per conversation.
SELECT DISTINCT l.user_id, l.sha256
  FROM json_each(:after_seqs) AS wanted
  JOIN message_attachments AS l ON l.conversation_id = wanted.key AND l.seq > wanted.value
 ORDER BY l.user_id, l.sha256;
