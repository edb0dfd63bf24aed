-- Report: per tool between :since (inclusive) and :until (exclusive): how
-- often assistants called it (from their tool_calls, and legacy
-- function_call) and how many results were stored (tool and function
-- messages naming it).
-- :since  an ISO 8601 timestamp; without a zone (a bare date too) it is UTC,
--         whatever the session's TimeZone
-- :until  an ISO 8601 timestamp, read the same way
-- Index: none; reads the messages of the period.
WITH given (name, value) AS (
    VALUES ('since', :since::text), ('until', :until::text)
), bounds AS (
    -- A zone (Z, +02:00, a name) after the date is that instant; none is UTC
    -- (:since::timestamptz would read the session's zone, and '...Z'::timestamp
    -- would drop the Z). A decimal comma is a point, and digits past the
    -- microsecond are dropped, not rounded, as convstore and SQLite read them.
    SELECT name,
           CASE WHEN substr(value, 12) ~ '[A-Za-z+-]' THEN value::timestamptz
                ELSE value::timestamp AT TIME ZONE 'UTC' END AS at
      FROM (SELECT name,
                   regexp_replace(replace(value, ',', '.'), '(\.[0-9]{6})[0-9]+', '\1') AS value
              FROM given) AS cleaned
), events AS (
    SELECT called.value->'function'->>'name' AS tool, 1 AS calls, 0 AS results
      FROM messages AS m, jsonb_array_elements(m.tool_calls) AS called(value)
     WHERE m.tool_calls IS NOT NULL
       AND m.created_at >= (SELECT at FROM bounds WHERE name = 'since')
       AND m.created_at < (SELECT at FROM bounds WHERE name = 'until')
    UNION ALL
    SELECT function_call->>'name' AS tool, 1 AS calls, 0 AS results
      FROM messages
     WHERE function_call IS NOT NULL
       AND created_at >= (SELECT at FROM bounds WHERE name = 'since')
       AND created_at < (SELECT at FROM bounds WHERE name = 'until')
    UNION ALL
    SELECT name AS tool, 0 AS calls, 1 AS results
      FROM messages
     WHERE role IN ('tool', 'function')
       AND created_at >= (SELECT at FROM bounds WHERE name = 'since')
       AND created_at < (SELECT at FROM bounds WHERE name = 'until')
)
SELECT tool, sum(calls) AS calls, sum(results) AS results
  FROM events
 GROUP BY tool
-- Names in byte order, NULL first, as SQLite sorts them, whatever the
-- database's collation.
 ORDER BY calls DESC, tool COLLATE "C" NULLS FIRST;
