-- How many messages are not indexed for search yet (noted in
-- messages_search_pending, migration sqlite_0018), per user: one row per user
-- who has some, of one user or with :user_id NULL of every user. A search
-- reads it first, writes (index_pending_search.sql, which takes the file's
-- write lock) only when there is something to index, and indexes no more
-- than this many, so that it does not chase messages appended while it works.
-- :user_id  the user, or NULL for every user
-- Index: messages_search_pending_user (a user's; the other branch is skipped
--        when :user_id is given).
SELECT user_id, count(*) AS unindexed
  FROM (SELECT user_id FROM messages_search_pending WHERE user_id = :user_id
        UNION ALL
        SELECT user_id FROM messages_search_pending WHERE :user_id IS NULL)
 GROUP BY user_id
 ORDER BY user_id;
