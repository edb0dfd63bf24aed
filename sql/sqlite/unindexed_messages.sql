-- Whether a user has messages that are not indexed for search yet (noted in
-- messages_search_pending, migration sqlite_0018): 1 or 0. A search reads it
-- first, and writes (index_pending_search.sql), which waits for the file's
-- write lock, only when there is something to index.
-- :user_id  the user
-- Index: messages_search_pending_user.
SELECT count(*) AS unindexed
  FROM (SELECT 1
          FROM messages_search_pending
         WHERE user_id = :user_id
         LIMIT 1) AS any_one;
