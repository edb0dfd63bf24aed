-- Locks a conversation's row for the rest of the transaction, so appends and
-- other edits to it wait; returns its id (no row if it does not exist).
-- :conversation_id  the conversation
-- Index: conversations primary key.
SELECT id
  FROM conversations
 WHERE id = :conversation_id
   FOR UPDATE;
