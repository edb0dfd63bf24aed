-- One user's conversations whose metadata contains :metadata, most recently
-- active first, by PostgreSQL's jsonb @> rules, tested as in
-- messages_by_metadata.sql (which explains them and the one accepted
-- difference, numbers beyond 2^53).
-- :user_id   whose conversations to look through
-- :metadata  a JSON object, as text
-- :limit     how many conversations at most
-- Index: conversations_user_activity (user_id, activity_order DESC, id DESC).
SELECT id, user_id, title, metadata, created_at, updated_at, message_count
  FROM conversations AS c
 WHERE user_id = :user_id
   AND NOT EXISTS (SELECT 1
                     FROM json_each(:metadata) AS w
                    WHERE NOT EXISTS (
                          SELECT 1
                            FROM json_each(c.metadata) AS s
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
                  FROM json_tree(c.metadata)
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
 ORDER BY activity_order DESC, id DESC
 LIMIT :limit;
