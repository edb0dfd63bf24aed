-- Back to the generated search_vector of pg_0014: the column is made again
-- (every message's words computed once more, the table rewritten under an
-- exclusive lock) with its messages_search index, built in this transaction.
ALTER TABLE messages DROP COLUMN IF EXISTS search_vector;

ALTER TABLE messages
    ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (convstore_search_vector(left(coalesce(content, ''), 100000))) STORED;

CREATE INDEX IF NOT EXISTS messages_search ON messages USING gin (user_id, search_vector);

DROP FUNCTION IF EXISTS convstore_message_search_vector(text);
