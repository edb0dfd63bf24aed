-- SQLite has one writer at a time: the write transaction that
-- index_pending_search.sql runs in (BEGIN IMMEDIATE) already is the turn that
-- the PostgreSQL version waits for. This statement exists so that both
-- dialects hold the same query names, and does nothing.
-- :user_id  whose messages, or NULL for every user's
-- Index: none.
SELECT :user_id IS NULL AS claimed;
