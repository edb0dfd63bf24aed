-- Refreshes the planner's statistics after the benchmark's bulk load, as a DBA
-- would after loading data.
-- Index: none.
ANALYZE;
