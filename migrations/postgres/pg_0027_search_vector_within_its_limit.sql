-- A message's search vector stays within tsvector's limit, so that no
-- message can make its user's searches fail. A tsvector holds at most
-- 1,048,575 bytes of words (its lexemes, repeats counted as they are read),
-- and folding can make text longer than it was: U+FDFA, one character of 3
-- bytes, folds to four words of 30. Since appends stopped indexing
-- (pg_0024), such a message was stored, and then every search of its user,
-- and every index_pending_search, failed on it with "string is too long for
-- tsvector". Now only its first words are indexed, up to 1,000,000 bytes
-- of them (the first 100,000 characters of a message were already the
-- limit; SQLite's index has none). Messages of ordinary text, whose folded
-- words stay under that, get the vector they got before.
-- depends: pg_0026_context_plans_without_statistics

CREATE OR REPLACE FUNCTION convstore_message_search_vector(content text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    folded text := convstore_search_text(left(coalesce(content, ''), 100000));
BEGIN
    IF octet_length(folded) > 1000000 THEN
        folded := (SELECT coalesce(string_agg(word, ' ' ORDER BY position), '')
                     FROM (SELECT word, position,
                                  sum(octet_length(word) + 1) OVER (ORDER BY position) AS bytes
                             FROM unnest(string_to_array(folded, ' '))
                                  WITH ORDINALITY AS words (word, position)) AS counted
                    WHERE bytes <= 1000000);
    END IF;
    RETURN (SELECT coalesce(string_agg('''' || word || ''':' || position, ' '), '')::tsvector
              FROM unnest(string_to_array(folded, ' ')) WITH ORDINALITY AS words (word, position));
END
$$;
