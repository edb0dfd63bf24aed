-- Indexes for search the messages that are not yet (search_vector NULL:
-- appends leave it to this statement, migration pg_0024) and returns one row
-- per message indexed. Rows another session is indexing or changing are
-- skipped, not waited for: searches read those from their text
-- (search_messages.sql). Only the rows it indexes are locked (FOR NO KEY
-- UPDATE, which does not hold up the foreign keys that point at them), and it
-- never waits, so it cannot deadlock with writers.
-- :user_id  whose messages to index, or NULL for every user's
-- :limit    how many messages at most
-- Index: messages_search_pending (user_id, where search_vector is NULL).
WITH pending AS (
    SELECT conversation_id, seq
      FROM messages
     WHERE search_vector IS NULL
       AND (:user_id::text IS NULL OR user_id = :user_id)
     LIMIT :limit
       FOR NO KEY UPDATE SKIP LOCKED
)
UPDATE messages AS m
   SET search_vector = convstore_message_search_vector(m.content)
  FROM pending AS p
 WHERE m.conversation_id = p.conversation_id
   AND m.seq = p.seq
RETURNING m.seq AS indexed;
