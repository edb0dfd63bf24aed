-- Back to the raw-text search vector of pg_0012, with its index.
ALTER TABLE messages DROP COLUMN IF EXISTS search_vector;

ALTER TABLE messages
    ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, left(coalesce(content, ''), 100000))
        || to_tsvector('english'::regconfig, left(coalesce(content, ''), 100000))
    ) STORED;

CREATE INDEX IF NOT EXISTS messages_search ON messages USING gin (user_id, search_vector);

DROP FUNCTION IF EXISTS convstore_search_vector(text);
DROP FUNCTION IF EXISTS convstore_search_text(text);
