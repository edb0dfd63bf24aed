-- Baseline for the benchmark: the tutorial's search, ILIKE over the user's
-- messages (reached through their conversations, so it reads only that user's
-- rows; without those indexes it would read every user's messages).
-- :user_id  :pattern (e.g. '%coffee%')
-- Index: conversations_user_recent, messages primary key.
SELECT DISTINCT c.id, c.title
  FROM conversations AS c
  JOIN messages AS m ON m.conversation_id = c.id
 WHERE c.user_id = :user_id
   AND m.content ILIKE :pattern;
