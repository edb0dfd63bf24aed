-- Report: per tool between :since (inclusive) and :until (exclusive): how
-- often assistants called it (from their tool_calls) and how many results
-- were stored (tool messages naming it).
-- :since  an ISO 8601 timestamp
-- :until  an ISO 8601 timestamp
-- Index: none; reads the messages of the period.
WITH events AS (
    SELECT called.value->'function'->>'name' AS tool, 1 AS calls, 0 AS results
      FROM messages AS m, jsonb_array_elements(m.tool_calls) AS called(value)
     WHERE m.tool_calls IS NOT NULL
       AND m.created_at >= :since::timestamptz
       AND m.created_at < :until::timestamptz
    UNION ALL
    SELECT name AS tool, 0 AS calls, 1 AS results
      FROM messages
     WHERE role = 'tool'
       AND created_at >= :since::timestamptz
       AND created_at < :until::timestamptz
)
SELECT tool, sum(calls) AS calls, sum(results) AS results
  FROM events
 GROUP BY tool
 ORDER BY calls DESC, tool;
