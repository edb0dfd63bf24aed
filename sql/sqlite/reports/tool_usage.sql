-- Report: per tool between :since (inclusive) and :until (exclusive): how
-- often assistants called it (from their tool_calls, and legacy
-- function_call) and how many results were stored (tool and function
-- messages naming it).
-- :since  an ISO 8601 timestamp (Z, +HH:MM or no zone, which is UTC), e.g.
--         '2026-11-01', '2026-11-01T02:00:00.5+02:00'
-- :until  an ISO 8601 timestamp, read the same way
-- Index: none; reads the messages of the period.
WITH given (name, value) AS (
    VALUES ('since', upper(:since)), ('until', upper(:until))
), split AS (
    -- From character 20 on: the fraction of a second ('.' or ',' and digits),
    -- then the zone ('Z', '+02:00' or nothing).
    SELECT name, value, substr(value, 20) AS tail,
           ltrim(substr(value, 20), '.,0123456789') AS zone
      FROM given
), bounds AS (
    -- As stored: 'YYYY-MM-DDTHH:MM:SS.ffffffZ' in UTC, compared as text.
    -- strftime converts the seconds and zone to UTC (no zone is UTC); the
    -- fraction is copied, as strftime would round it to milliseconds.
    SELECT name,
           strftime('%Y-%m-%dT%H:%M:%S', substr(value, 1, 19) || zone) || '.'
           || substr(ltrim(substr(tail, 1, length(tail) - length(zone)), '.,') || '000000', 1, 6)
           || 'Z' AS at
      FROM split
), events AS (
    SELECT json_extract(called.value, '$.function.name') AS tool, 1 AS calls, 0 AS results
      FROM messages AS m, json_each(m.tool_calls) AS called
     WHERE m.tool_calls IS NOT NULL
       AND m.created_at >= (SELECT at FROM bounds WHERE name = 'since')
       AND m.created_at < (SELECT at FROM bounds WHERE name = 'until')
    UNION ALL
    SELECT json_extract(function_call, '$.name') AS tool, 1 AS calls, 0 AS results
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
 ORDER BY calls DESC, tool NULLS FIRST;
