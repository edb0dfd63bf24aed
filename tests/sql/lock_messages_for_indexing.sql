-- Locks a conversation's messages as index_pending_search.sql does while it
-- indexes them, so a test can search meanwhile.
-- :conversation_id  the conversation
-- Index: messages primary key.
SELECT seq
  FROM messages
 WHERE conversation_id = :conversation_id
   FOR NO KEY UPDATE;
