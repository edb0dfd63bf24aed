ALTER TABLE messages DROP COLUMN IF EXISTS search_vector;
ALTER TABLE messages
    ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, coalesce(content, ''))
        || to_tsvector('english'::regconfig, coalesce(content, ''))
    ) STORED;
CREATE INDEX IF NOT EXISTS messages_search ON messages USING gin (user_id, search_vector);
