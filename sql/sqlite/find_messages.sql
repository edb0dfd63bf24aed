-- One user's messages that contain :text exactly, newest written first (write
-- order, migration sqlite_0008; never a timestamp, which can tie). Case is
-- ignored in every script by Unicode's lower-case mapping (convstore_lower,
-- which convstore registers on its connections, as PostgreSQL's ICU lower()
-- does; not full case folding: STRASSE does not find straße); the text is
-- matched literally, so % _ and \ are plain characters. Reads the user's
-- messages newest first until :limit match.
-- :user_id  whose messages to look through
-- :text     the text to find
-- :limit    how many messages at most
-- Index: messages_user_write_order (user_id, write_order DESC), then
--        conversations primary key for each match's title.
SELECT m.conversation_id, c.title, m.seq, m.role, m.content, m.created_at
  FROM messages AS m
  JOIN conversations AS c ON c.id = m.conversation_id
 WHERE m.user_id = :user_id
   AND instr(convstore_lower(m.content), convstore_lower(:text)) > 0
 ORDER BY m.write_order DESC, m.seq DESC
 LIMIT :limit;
