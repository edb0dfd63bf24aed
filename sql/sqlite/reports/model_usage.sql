-- Report: per model (the "model" key of message metadata) between :since
-- (inclusive) and :until (exclusive): messages, reported tokens, and the
-- average and 95th-percentile latency (nearest rank: the smallest latency at
-- or above 95% of the model's latencies).
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
), used AS (
    -- The model as PostgreSQL's metadata->>'model' gives it: a string as
    -- itself, a JSON null as NULL, any other value as its JSON text.
    SELECT CASE json_type(metadata, '$.model')
                WHEN 'text' THEN metadata ->> '$.model'
                WHEN 'null' THEN NULL
                ELSE metadata -> '$.model' END AS model,
           CASE WHEN tokens_estimated THEN NULL ELSE tokens END AS tokens, latency_ms
      FROM messages
     WHERE json_type(metadata, '$.model') IS NOT NULL
       AND created_at >= (SELECT at FROM bounds WHERE name = 'since')
       AND created_at < (SELECT at FROM bounds WHERE name = 'until')
), latency_ranks AS (
    SELECT model, latency_ms,
           cume_dist() OVER (PARTITION BY model ORDER BY latency_ms) AS share_at_or_below
      FROM used
     WHERE latency_ms IS NOT NULL
)
SELECT u.model,
       count(*) AS messages,
       coalesce(sum(u.tokens), 0) AS tokens,
       avg(u.latency_ms) AS avg_latency_ms,
       (SELECT min(r.latency_ms)
          FROM latency_ranks AS r
         WHERE r.model IS u.model
           AND r.share_at_or_below >= 0.95) AS p95_latency_ms
  FROM used AS u
 GROUP BY u.model
 ORDER BY messages DESC, model NULLS FIRST;
