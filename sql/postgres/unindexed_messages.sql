-- How many messages are not indexed for search yet (search_vector NULL,
-- migration pg_0024), per user: one row per user who has some, of one user
-- or with :user_id NULL of every user. A search reads it first, writes
-- (index_pending_search.sql) only when there is something to index, and
-- indexes no more than this many, so that it does not chase messages
-- appended while it works.
-- :user_id  the user, or NULL for every user
-- Index: messages_search_pending (user_id, where search_vector is NULL).
SELECT user_id, count(*) AS unindexed
  FROM messages
 WHERE search_vector IS NULL
   AND (:user_id::text IS NULL OR user_id = :user_id)
 GROUP BY user_id
 ORDER BY user_id;
