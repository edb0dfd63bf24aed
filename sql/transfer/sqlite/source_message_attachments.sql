-- Transfer, source side (SQLite): which attachments the messages of some
-- conversations after a seq of each reference, in the order of the columns
-- of COPY message_attachments
-- (sql/transfer/postgres/copy_message_attachments.sql).
-- :after_seqs  a JSON object: conversation id -> the seq to start after
-- Index: message_attachments primary key (conversation_id, seq, sha256), one
--        range per conversation.
SELECT l.conversation_id, l.seq, l.user_id, l.sha256
  FROM json_each(:after_seqs) AS wanted
  JOIN message_attachments AS l ON l.conversation_id = wanted.key AND l.seq > wanted.value
 ORDER BY l.conversation_id, l.seq, l.sha256;
