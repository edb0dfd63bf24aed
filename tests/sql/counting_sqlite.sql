-- Rows 1 .. :n, with their squares.
-- Parameters: :n, how many rows.
-- Index: none; no table is read.
WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < :n)
SELECT n, n * n AS square
  FROM numbers;
