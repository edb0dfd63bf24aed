-- Report: per model (the "model" key of message metadata) between :since
-- (inclusive) and :until (exclusive): messages, reported tokens, and the
-- average and 95th-percentile latency (nearest rank: the smallest latency at
-- or above 95% of the model's latencies).
-- :since  an ISO 8601 timestamp
-- :until  an ISO 8601 timestamp
-- Index: none; reads the messages of the period.
WITH used AS (
    SELECT json_extract(metadata, '$.model') AS model, tokens, latency_ms
      FROM messages
     WHERE json_extract(metadata, '$.model') IS NOT NULL
       AND created_at >= (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(:since, 1, 19) || ltrim(substr(:since, 21), '0123456789') ELSE :since END)
       || '.' || substr(CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(substr(:since, 21), 1, length(substr(:since, 21)) - length(ltrim(substr(:since, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
       AND created_at < (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:until, 20, 1) IN ('.', ',') THEN substr(:until, 1, 19) || ltrim(substr(:until, 21), '0123456789') ELSE :until END)
       || '.' || substr(CASE WHEN substr(:until, 20, 1) IN ('.', ',') THEN substr(substr(:until, 21), 1, length(substr(:until, 21)) - length(ltrim(substr(:until, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
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
         WHERE r.model = u.model
           AND r.share_at_or_below >= 0.95) AS p95_latency_ms
  FROM used AS u
 GROUP BY u.model
 ORDER BY messages DESC, model;
