-- Rebuilds messages_search (dropped with the old search_vector by the previous
-- migration), as pg_0013 did: a user's id and the folded words of their
-- messages in one GIN index. Built CONCURRENTLY (writes go on meanwhile),
-- which cannot run in a transaction; a failed build leaves an INVALID index:
-- drop it and migrate again.
-- transactional: false
-- depends: pg_0014_folded_search

CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_search
    ON messages USING gin (user_id, search_vector);
