-- The messages search has not indexed yet (search_vector NULL, migration
-- pg_0024), by user: what index_pending_search.sql indexes and what a search
-- reads from their text. Small: a message leaves it when it is indexed. Built
-- CONCURRENTLY (writes go on meanwhile), which cannot run in a transaction; a
-- failed build leaves an INVALID index: drop it and migrate again.
-- transactional: false
-- depends: pg_0024_search_off_the_write_path

CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_search_pending
    ON messages (user_id) WHERE search_vector IS NULL;
