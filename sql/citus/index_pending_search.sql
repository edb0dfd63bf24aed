-- Citus's version of sql/postgres/index_pending_search.sql (same rows and
-- batches), without its FOR NO KEY UPDATE SKIP LOCKED: Citus locks rows only
-- in a statement it routes to one shard, and a user's messages are on every
-- shard. So a message another session holds (a writer's open transaction
-- that changes it) is waited for, not skipped, and a deadlock with such a
-- writer is possible: PostgreSQL or Citus's detector ends one transaction
-- (retryable). Sessions indexing one user still take turns
-- (claim_search_indexing.sql).
-- :user_id    whose messages to index
-- :limit      how many messages at most
-- :max_bytes  the UTF-8 bytes of text after which a batch stops
-- Index: messages_search_pending (user_id, where search_vector is NULL) on
--        every shard; messages primary key to update the batch.
WITH candidates AS (
    SELECT conversation_id, seq, least(coalesce(octet_length(content), 0), 400000) AS bytes
      FROM messages
     WHERE search_vector IS NULL
       AND user_id = :user_id
     LIMIT :limit
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
