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
 WHERE created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', :since)
   AND created_at < strftime('%Y-%m-%dT%H:%M:%fZ', :until)
 GROUP BY user_id, substr(created_at, 1, 10)
 ORDER BY day, user_id;
