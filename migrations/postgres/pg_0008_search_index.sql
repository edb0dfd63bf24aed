-- The index behind search_messages and search_conversations: a user's id and
-- the lexemes of their messages in one GIN index, so the per-user filter and
-- the text match are answered together. Built CONCURRENTLY (writes go on
-- meanwhile), which cannot run in a transaction; a failed build leaves an
-- INVALID index: drop it and migrate again.
-- transactional: false
-- depends: pg_0007_full_text_search

CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_search
    ON messages USING gin (user_id, search_vector);
