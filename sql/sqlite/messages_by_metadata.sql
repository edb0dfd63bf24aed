-- One user's messages whose metadata contains :metadata, newest written first
-- (write order, migration sqlite_0008; never a timestamp, which can tie), by
-- PostgreSQL's jsonb @> rules: an object contains another if it has each of
-- its keys with a value that contains that key's value; an array contains
-- another if each element of the other is contained by some element of it
-- (order and duplicates do not matter, so ["a", "b"] contains ["b"] and
-- ["b", "b", "a"]); a scalar contains an equal scalar of the same JSON type
-- (numbers by value, 1 = 1.0; true is not 1; null contains null).
-- First a cheap test of the top-level keys (each present with the same type,
-- scalars equal); then, for the rows that pass, the exact test: a recursive
-- CTE that finds every (stored node, wanted node) pair that matches, level by
-- level from the leaves, until no pair is added, and asks whether the two
-- roots matched. Accepted difference: numbers are compared as SQLite reads
-- them (64-bit integers, doubles), so integers beyond 2^53 in magnitude compared
-- with floats, or beyond 2^63, may compare differently from PostgreSQL's numeric.
-- :user_id   whose messages to look through
-- :metadata  a JSON object, as text
-- :limit     how many messages at most
-- Index: messages_user_write_order (user_id, write_order DESC).
SELECT m.conversation_id, m.seq, m.role, m.content, m.tokens, m.latency_ms,
       m.metadata, m.created_at
  FROM messages AS m
 WHERE m.user_id = :user_id
   AND NOT EXISTS (SELECT 1
                     FROM json_each(:metadata) AS w
                    WHERE NOT EXISTS (
                          SELECT 1
                            FROM json_each(m.metadata) AS s
                           WHERE s.key = w.key
                             AND CASE WHEN w.type IN ('integer', 'real')
                                      THEN s.type IN ('integer', 'real') AND s.atom = w.atom
                                      WHEN w.type = 'text' THEN s.type = 'text' AND s.atom = w.atom
                                      ELSE s.type = w.type END))
   AND (NOT EXISTS (SELECT 1 FROM json_each(:metadata) WHERE type IN ('object', 'array'))
        OR EXISTS (
            WITH RECURSIVE
            wanted AS (
                SELECT id, parent, key, atom,
                       CASE WHEN type IN ('integer', 'real') THEN 'number' ELSE type END AS kind
                  FROM json_tree(:metadata)
            ), stored AS (
                SELECT id, parent, key, atom,
                       CASE WHEN type IN ('integer', 'real') THEN 'number' ELSE type END AS kind
                  FROM json_tree(m.metadata)
            ), matched (pairs, previous) AS (
                SELECT '[]', NULL
                UNION ALL
                SELECT (SELECT json_group_array(s.id || ' ' || w.id)
                          FROM wanted AS w
                          JOIN stored AS s ON s.kind = w.kind
                         WHERE (w.kind NOT IN ('number', 'text') OR s.atom = w.atom)
                           AND NOT EXISTS (
                               SELECT 1
                                 FROM wanted AS wc
                                WHERE wc.parent = w.id
                                  AND NOT EXISTS (
                                      SELECT 1
                                        FROM stored AS sc
                                       WHERE sc.parent = s.id
                                         AND (w.kind = 'array' OR sc.key = wc.key)
                                         AND sc.id || ' ' || wc.id IN (
                                             SELECT value FROM json_each(matched.pairs))))),
                       matched.pairs
                  FROM matched
                 WHERE matched.pairs IS NOT matched.previous
            )
            SELECT 1
              FROM matched, wanted AS w, stored AS s
             WHERE w.parent IS NULL
               AND s.parent IS NULL
               AND s.id || ' ' || w.id IN (SELECT value FROM json_each(matched.pairs))))
 ORDER BY m.write_order DESC, m.seq DESC
 LIMIT :limit;
