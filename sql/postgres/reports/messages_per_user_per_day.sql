-- Report: how many messages each user stored per day (UTC), and their reported
-- tokens, between :since (inclusive) and :until (exclusive).
-- :since  an ISO 8601 timestamp, e.g. '2026-11-01T00:00:00Z'
-- :until  an ISO 8601 timestamp
-- Index: none; reads the messages of the period (add an index on
--        messages (created_at) if you run it often on a large table).
SELECT user_id,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
       count(*) AS messages,
       coalesce(sum(tokens), 0) AS tokens
  FROM messages
 WHERE created_at >= :since::timestamptz
   AND created_at < :until::timestamptz
 GROUP BY user_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
 ORDER BY day, user_id;
