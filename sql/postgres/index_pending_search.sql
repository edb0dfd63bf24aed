-- Indexes for search the messages of a user that are not yet (search_vector
-- NULL: appends leave it to this statement, migration pg_0024) and returns
-- one row per message indexed. A batch is at most :limit messages and stops
-- before :max_bytes bytes of text (after its first message), so that its time
-- has a bound whatever the messages hold: building a vector costs up to about
-- 2.3 us a byte (text whose characters fold to several words, such as U+3316;
-- CJK text without spaces about 0.5, ASCII words about 0.2), and at most the
-- first 100,000 characters (up to 400,000 bytes) of a message are indexed.
-- Rows another session holds (a writer's open transaction) are skipped, not
-- waited for: searches read those from their text (search_messages.sql). The
-- rows it reads are locked until COMMIT (FOR NO KEY UPDATE, which does not
-- hold up the foreign keys that point at them), those past :max_bytes too,
-- and it never waits for a row, so it cannot deadlock with writers.
-- Run it in the transaction that claimed the user's turn
-- (claim_search_indexing.sql), so that sessions indexing one user take turns.
-- :user_id    whose messages to index
-- :limit      how many messages at most
-- :max_bytes  the UTF-8 bytes of text after which a batch stops
-- Index: messages_search_pending (user_id, where search_vector is NULL);
--        messages primary key to update the batch.
WITH candidates AS (
    SELECT conversation_id, seq, least(coalesce(octet_length(content), 0), 400000) AS bytes
      FROM messages
     WHERE search_vector IS NULL
       AND user_id = :user_id
     LIMIT :limit
       FOR NO KEY UPDATE SKIP LOCKED
), batch AS (
    SELECT conversation_id, seq
      FROM (SELECT conversation_id, seq,
                   sum(bytes) OVER (ORDER BY conversation_id, seq
                                    ROWS UNBOUNDED PRECEDING) - bytes AS bytes_before
              FROM candidates) AS counted
     WHERE bytes_before < :max_bytes
)
UPDATE messages AS m
   SET search_vector = convstore_message_search_vector(m.content)
  FROM batch AS b
 WHERE m.conversation_id = b.conversation_id
   AND m.seq = b.seq
RETURNING m.seq AS indexed;
