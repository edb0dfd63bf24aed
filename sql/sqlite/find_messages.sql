-- One user's messages that contain :text exactly (case-insensitive for ASCII
-- letters; the text is matched literally, so % _ and \ are plain characters),
-- newest first. A bounded scan of the user's messages, conversation by
-- conversation.
-- :user_id  whose messages to look through
-- :text     the text to find
-- :limit    how many messages at most
-- Index: conversations_user_recent, then messages primary key per conversation.
SELECT m.conversation_id, c.title, m.seq, m.role, m.content, m.created_at
  FROM conversations AS c
  JOIN messages AS m ON m.conversation_id = c.id
 WHERE c.user_id = :user_id
   AND instr(lower(m.content), lower(:text)) > 0
 ORDER BY m.created_at DESC, m.seq DESC
 LIMIT :limit;
