-- Indexes for search the messages that are not yet (search_vector NULL:
-- appends leave it to this statement, migration pg_0024) and returns one row
-- per message indexed. A batch is at most :limit messages and stops before
-- :max_bytes bytes of text (after the first message), so that its time has a
-- bound whatever the messages hold: building a vector costs up to about
-- 0.7 us a byte (CJK text without spaces; words of ASCII text about 0.2), and
-- at most the first 100,000 characters (up to 400,000 bytes) of a message
-- are indexed.
-- Rows another session holds are skipped, not waited for: searches read those
-- from their text (search_messages.sql). Only the rows it indexes are locked
-- (FOR NO KEY UPDATE, which does not hold up the foreign keys that point at
-- them), and it never waits for a row, so it cannot deadlock with writers.
-- Run it after claim_search_indexing.sql, in that statement's transaction, so
-- that two sessions indexing one user's messages take turns rather than pick
-- the same rows.
-- :user_id    whose messages to index, or NULL for every user's
-- :limit      how many messages at most
-- :max_bytes  the UTF-8 bytes of text after which a batch stops
-- Index: messages_search_pending (user_id, where search_vector is NULL);
--        messages primary key to lock and update the batch.
WITH candidates AS (
    SELECT conversation_id, seq, least(coalesce(octet_length(content), 0), 400000) AS bytes
      FROM messages
     WHERE search_vector IS NULL
       AND (:user_id::text IS NULL OR user_id = :user_id)
     LIMIT :limit
), batch AS (
    SELECT conversation_id, seq
      FROM (SELECT conversation_id, seq,
                   sum(bytes) OVER (ORDER BY conversation_id, seq
                                    ROWS UNBOUNDED PRECEDING) - bytes AS bytes_before
              FROM candidates) AS counted
     WHERE bytes_before < :max_bytes
), locked AS (
    SELECT m.conversation_id, m.seq
      FROM messages AS m
      JOIN batch AS b ON b.conversation_id = m.conversation_id AND b.seq = m.seq
     WHERE m.search_vector IS NULL
       FOR NO KEY UPDATE OF m SKIP LOCKED
)
UPDATE messages AS m
   SET search_vector = convstore_message_search_vector(m.content)
  FROM locked AS l
 WHERE m.conversation_id = l.conversation_id
   AND m.seq = l.seq
RETURNING m.seq AS indexed;
