-- Report: per model (the "model" key of message metadata) between :since
-- (inclusive) and :until (exclusive): messages, reported tokens, and the
-- average and 95th-percentile latency (nearest rank: the smallest latency at
-- or above 95% of the model's latencies).
-- :since  an ISO 8601 timestamp
-- :until  an ISO 8601 timestamp
-- Index: none; reads the messages of the period.
SELECT metadata->>'model' AS model,
       count(*) AS messages,
       coalesce(sum(tokens), 0) AS tokens,
       avg(latency_ms)::double precision AS avg_latency_ms,
       percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_latency_ms
  FROM messages
 WHERE metadata ? 'model'
   AND created_at >= :since::timestamptz
   AND created_at < :until::timestamptz
 GROUP BY metadata->>'model'
 ORDER BY messages DESC, model;
