-- Rows 1 .. :n, with their squares.
-- Parameters: :n, how many rows.
-- Index: none; no table is read.
SELECT n, n * n AS square
  FROM generate_series(1, CAST(:n AS integer)) AS n;
