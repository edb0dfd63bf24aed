-- Report: per model (the "model" key of message metadata) between :since
-- (inclusive) and :until (exclusive): messages, reported tokens, and the
-- average and 95th-percentile latency (nearest rank: the smallest latency at
-- or above 95% of the model's latencies). The average is the exact sum divided
-- once in double precision, as SQLite's avg() computes it (avg()::double
-- precision rounds twice and can differ in the last bit).
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
)
SELECT metadata->>'model' AS model,
       count(*) AS messages,
       coalesce(sum(tokens) FILTER (WHERE NOT tokens_estimated), 0) AS tokens,
       sum(latency_ms)::double precision / nullif(count(latency_ms), 0) AS avg_latency_ms,
       percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_latency_ms
  FROM messages
 WHERE metadata ? 'model'
   AND created_at >= (SELECT at FROM bounds WHERE name = 'since')
   AND created_at < (SELECT at FROM bounds WHERE name = 'until')
 GROUP BY metadata->>'model'
-- Names in byte order, NULL first, as SQLite sorts them, whatever the
-- database's collation.
 ORDER BY messages DESC, (metadata->>'model') COLLATE "C" NULLS FIRST;
