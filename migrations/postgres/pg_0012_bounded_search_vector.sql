-- Search indexes the first 100,000 characters of each message.
--
-- PostgreSQL's tsvector holds at most 1 MB: a long message of many distinct
-- words (about 900 KB of text) made the generated search_vector, and so the
-- whole insert, fail. Measured on the two configurations together, 100,000
-- characters give at most about 450 KB of tsvector (four-byte letters; 240 KB
-- for English text), so any message convstore accepts can be stored; words
-- after that point are stored but not found by search. SQLite's FTS5 index
-- covers the same prefix (sqlite_0006), so both databases find the same rows.
-- Replacing a stored generated column rewrites the messages table under an
-- exclusive lock: on a large table, run this migration in a maintenance
-- window. The index is rebuilt by the next migration (CONCURRENTLY).
-- depends: pg_0011_validate_message_owner

ALTER TABLE messages DROP COLUMN IF EXISTS search_vector;

ALTER TABLE messages
    ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, left(coalesce(content, ''), 100000))
        || to_tsvector('english'::regconfig, left(coalesce(content, ''), 100000))
    ) STORED;
