-- Rows 1 .. 10000; row :bad fails (malformed JSON), after the rows before it were read.
-- Parameters: :bad, the row that fails.
-- Index: none; no table is read.
WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < 10000)
SELECT n, CASE WHEN n = :bad THEN json('not json') ELSE '{}' END AS checked
  FROM numbers;
