-- Report: how many messages each user stored per day (UTC), and their reported
-- tokens, between :since (inclusive) and :until (exclusive).
-- :since  an ISO 8601 timestamp, e.g. '2026-11-01T00:00:00Z'; without a zone
--         (a bare date too) it is UTC, whatever the session's TimeZone
-- :until  an ISO 8601 timestamp, read the same way
-- Index: none; reads the messages of the period (add an index on
--        messages (created_at) if you run it often on a large table).
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
)
SELECT user_id,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
       count(*) AS messages,
       coalesce(sum(tokens) FILTER (WHERE NOT tokens_estimated), 0) AS tokens
  FROM messages
 WHERE created_at >= (SELECT at FROM bounds WHERE name = 'since')
   AND created_at < (SELECT at FROM bounds WHERE name = 'until')
 GROUP BY user_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
-- User ids in byte order, as SQLite sorts them, whatever the database's
-- collation.
 ORDER BY day, user_id COLLATE "C";
