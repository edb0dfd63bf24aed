-- Report: how many messages each user stored per day (UTC), and their reported
-- tokens, between :since (inclusive) and :until (exclusive).
-- :since  an ISO 8601 timestamp (Z, +HH:MM or no zone, which is UTC), e.g.
--         '2026-11-01', '2026-11-01T02:00:00.5+02:00'
-- :until  an ISO 8601 timestamp, read the same way
-- Index: none; reads the messages of the period (add an index on
--        messages (created_at) if you run it often on a large table).
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
)
SELECT user_id,
       substr(created_at, 1, 10) AS day,
       count(*) AS messages,
       coalesce(sum(tokens) FILTER (WHERE NOT tokens_estimated), 0) AS tokens
  FROM messages
 WHERE created_at >= (SELECT at FROM bounds WHERE name = 'since')
   AND created_at < (SELECT at FROM bounds WHERE name = 'until')
 GROUP BY user_id, substr(created_at, 1, 10)
 ORDER BY day, user_id;
