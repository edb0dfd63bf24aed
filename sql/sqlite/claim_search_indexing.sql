-- SQLite has one writer at a time: the write transaction that
-- index_pending_search.sql runs in (BEGIN IMMEDIATE) already is the turn that
-- the PostgreSQL version claims, so this always says it is claimed. It exists
-- so that both dialects hold the same query names.
-- :user_id  whose messages
-- Index: none.
SELECT :user_id IS NOT NULL AS claimed;
