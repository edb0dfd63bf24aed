-- Transfer, source side (SQLite): how much there is to copy.
-- Index: none; reads the conversations table.
SELECT count(*) AS conversations, coalesce(sum(message_count - inherited_messages), 0) AS messages
  FROM conversations;
