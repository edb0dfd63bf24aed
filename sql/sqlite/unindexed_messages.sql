-- How many messages are not indexed for search yet (noted in
-- messages_search_pending, migration sqlite_0018): a user's, or with
-- :user_id NULL everyone's. A search reads it first, writes
-- (index_pending_search.sql, which takes the file's write lock) only when
-- there is something to index, and indexes no more than this many, so that
-- it does not chase messages appended while it works.
-- :user_id  the user, or NULL for every user
-- Index: messages_search_pending_user (a user's; the other branch is skipped
--        when :user_id is given).
SELECT (SELECT count(*) FROM messages_search_pending WHERE user_id = :user_id)
     + (SELECT count(*) FROM messages_search_pending WHERE :user_id IS NULL) AS unindexed;
