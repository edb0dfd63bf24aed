-- Whether a user has messages that are not indexed for search yet
-- (search_vector NULL, migration pg_0024): 1 or 0. A search reads it first,
-- and writes (index_pending_search.sql) only when there is something to index.
-- :user_id  the user
-- Index: messages_search_pending (user_id, where search_vector is NULL).
SELECT count(*) AS unindexed
  FROM (SELECT 1
          FROM messages
         WHERE user_id = :user_id
           AND search_vector IS NULL
         LIMIT 1) AS any_one;
