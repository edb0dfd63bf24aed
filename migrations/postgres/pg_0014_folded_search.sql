-- One search semantics on both databases (README, "Search";
-- convstore/search_text.py): a message is indexed as its folded words, with
-- no stop words and no stemming, where PostgreSQL used to index the 'simple'
-- and 'english' parses of its raw text.
--
-- convstore_search_text(text) folds text exactly as convstore/search_text.py
-- fold() does (a test compares the two on generated text): compatibility
-- decomposition, lower case (ICU's root locale, so the database's own locale
-- does not matter), diacritics removed, recomposition, final sigma as sigma,
-- every Han, kana, Hangul and Bopomofo character a word of its own (ASCII
-- text skips all of that), each run of a fixed set of punctuation and symbols
-- as one space, and a number in scientific notation ending a word. The parser of the 'simple' configuration
-- then splits the folded text at its spaces and keeps every word.
--
-- Needs a server built with ICU (the "und-x-icu" collation) and a UTF8
-- database. Replacing the stored generated column rewrites the messages table
-- under an exclusive lock: on a large table, run this migration in a
-- maintenance window. The index is rebuilt by the next migration (CONCURRENTLY).
-- depends: pg_0013_search_index_again

CREATE OR REPLACE FUNCTION convstore_search_text(content text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(
    regexp_replace(
        CASE WHEN content ~ '^[\u0001-\u007f]*$'
             THEN lower(content COLLATE "C") COLLATE "default"  -- ASCII: nothing to fold
             ELSE regexp_replace(
                      replace(
                          normalize(
                              regexp_replace(
                                  lower(normalize(content, NFKD) COLLATE "und-x-icu")
                                      COLLATE "default",
                                  '[\u0300-\u036f\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u064b-\u065f\u0670\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]', '', 'g'),
                              NFC),
                          'ς', 'σ'),
                      '([\u3005-\u3007\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff])', ' \1 ', 'g')
        END,
        '[\u0001-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u00bf\u00d7\u00f7\u1680\u2000-\u206f\u20a0-\u20cf\u2190-\u2bff\u2e00-\u2e7f\u3000-\u3004\u3008-\u3020\u3030\u303d-\u303f\ue000-\uf8ff\ufe00-\ufe0f\ufe30-\ufe4f\ufff0-\uffff\U0001f000-\U0001fbff\U000f0000-\U0010ffff]+', ' ', 'g'),
    '(^| )([0-9]+e[0-9]+)(?=[^ ])', '\1\2 ', 'g');

ALTER TABLE messages DROP COLUMN IF EXISTS search_vector;

ALTER TABLE messages
    ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig,
                    convstore_search_text(left(coalesce(content, ''), 100000)))
    ) STORED;
