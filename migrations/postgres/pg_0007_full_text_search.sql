-- Full-text search over message content.
--
-- search_vector holds the content's lexemes twice over: as written ('simple':
-- names, code, any language) and stemmed ('english'), so a query parsed with
-- either configuration finds its words. Queries parse with the session's
-- default_text_search_config (convstore sets 'english' unless told otherwise).
-- A stored generated column cannot drift from the content. Adding it rewrites
-- the messages table under an exclusive lock: on a large table, run this
-- migration in a maintenance window.
-- btree_gin lets one GIN index hold user_id beside the vector, so a user's
-- search reads only that user's entries (next migration).
-- depends: pg_0006_row_level_security

CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE messages
    ADD COLUMN IF NOT EXISTS search_vector tsvector
    GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, coalesce(content, ''))
        || to_tsvector('english'::regconfig, coalesce(content, ''))
    ) STORED;
