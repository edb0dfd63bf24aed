-- Report: per tool between :since (inclusive) and :until (exclusive): how
-- often assistants called it (from their tool_calls) and how many results
-- were stored (tool messages naming it).
-- :since  an ISO 8601 timestamp
-- :until  an ISO 8601 timestamp
-- Index: none; reads the messages of the period.
WITH events AS (
    SELECT json_extract(called.value, '$.function.name') AS tool, 1 AS calls, 0 AS results
      FROM messages AS m, json_each(m.tool_calls) AS called
     WHERE m.tool_calls IS NOT NULL
       AND m.created_at >= (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(:since, 1, 19) || ltrim(substr(:since, 21), '0123456789') ELSE :since END)
       || '.' || substr(CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(substr(:since, 21), 1, length(substr(:since, 21)) - length(ltrim(substr(:since, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
       AND m.created_at < (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:until, 20, 1) IN ('.', ',') THEN substr(:until, 1, 19) || ltrim(substr(:until, 21), '0123456789') ELSE :until END)
       || '.' || substr(CASE WHEN substr(:until, 20, 1) IN ('.', ',') THEN substr(substr(:until, 21), 1, length(substr(:until, 21)) - length(ltrim(substr(:until, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
    UNION ALL
    SELECT name AS tool, 0 AS calls, 1 AS results
      FROM messages
     WHERE role = 'tool'
       AND created_at >= (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(:since, 1, 19) || ltrim(substr(:since, 21), '0123456789') ELSE :since END)
       || '.' || substr(CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(substr(:since, 21), 1, length(substr(:since, 21)) - length(ltrim(substr(:since, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
       AND created_at < (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:until, 20, 1) IN ('.', ',') THEN substr(:until, 1, 19) || ltrim(substr(:until, 21), '0123456789') ELSE :until END)
       || '.' || substr(CASE WHEN substr(:until, 20, 1) IN ('.', ',') THEN substr(substr(:until, 21), 1, length(substr(:until, 21)) - length(ltrim(substr(:until, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
)
SELECT tool, sum(calls) AS calls, sum(results) AS results
  FROM events
 GROUP BY tool
 ORDER BY calls DESC, tool;
