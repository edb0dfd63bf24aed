-- Rebuilds messages_search (dropped with the old search_vector by the previous
-- migration): a user's id and the lexemes of their messages in one GIN index.
-- Built CONCURRENTLY (writes go on meanwhile), which cannot run in a
-- transaction; a failed build leaves an INVALID index: drop it and migrate again.
-- transactional: false
-- depends: pg_0012_bounded_search_vector

CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_search
    ON messages USING gin (user_id, search_vector);
