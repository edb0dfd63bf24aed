-- Rows 1 .. 10000; row :bad fails (division by zero), after the rows before it were read.
-- Parameters: :bad, the row that fails.
-- Index: none; no table is read.
SELECT n, 1 / (n - CAST(:bad AS integer)) AS checked
  FROM generate_series(1, 10000) AS n;
