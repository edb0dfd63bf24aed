-- Report: how many messages each user stored per day (UTC), and their reported
-- tokens, between :since (inclusive) and :until (exclusive).
-- :since  an ISO 8601 timestamp, e.g. '2026-11-01T00:00:00Z'
-- :until  an ISO 8601 timestamp
-- Index: none; reads the messages of the period (add an index on
--        messages (created_at) if you run it often on a large table).
SELECT user_id,
       substr(created_at, 1, 10) AS day,
       count(*) AS messages,
       coalesce(sum(tokens), 0) AS tokens
  FROM messages
 WHERE created_at >= (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(:since, 1, 19) || ltrim(substr(:since, 21), '0123456789') ELSE :since END)
       || '.' || substr(CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(substr(:since, 21), 1, length(substr(:since, 21)) - length(ltrim(substr(:since, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
   AND created_at < (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:until, 20, 1) IN ('.', ',') THEN substr(:until, 1, 19) || ltrim(substr(:until, 21), '0123456789') ELSE :until END)
       || '.' || substr(CASE WHEN substr(:until, 20, 1) IN ('.', ',') THEN substr(substr(:until, 21), 1, length(substr(:until, 21)) - length(ltrim(substr(:until, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
 GROUP BY user_id, substr(created_at, 1, 10)
 ORDER BY day, user_id;
