-- Indexes for search the messages of a user that are not yet (noted in
-- messages_search_pending: appends leave them to this statement, migration
-- sqlite_0018) and returns one row per message indexed. Deleting a note
-- indexes its message (trigger messages_search_indexed). A batch is at most
-- :limit messages and stops before :max_bytes bytes of text (after its first
-- message), so that it holds the file's write lock for a bounded time; at
-- most the first 100,000 characters (up to 400,000 bytes) of a message are
-- indexed. SQLite has one writer at a time, so nothing is skipped.
-- :user_id    whose messages to index
-- :limit      how many messages at most
-- :max_bytes  the UTF-8 bytes of text after which a batch stops
-- Index: messages_search_pending_user; messages rowid for the sizes and the
--        trigger.
WITH candidates AS (
    SELECT message_rowid
      FROM messages_search_pending
     WHERE user_id = :user_id
     LIMIT :limit
), counted AS (
    SELECT c.message_rowid,
           sum(min(coalesce(length(CAST(m.content AS BLOB)), 0), 400000))
               OVER (ORDER BY c.message_rowid ROWS UNBOUNDED PRECEDING)
           - min(coalesce(length(CAST(m.content AS BLOB)), 0), 400000) AS bytes_before
      FROM candidates AS c
      LEFT JOIN messages AS m ON m.rowid = c.message_rowid
)
DELETE FROM messages_search_pending
 WHERE message_rowid IN (SELECT message_rowid FROM counted WHERE bytes_before < :max_bytes)
RETURNING message_rowid AS indexed;
