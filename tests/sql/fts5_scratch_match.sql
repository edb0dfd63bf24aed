-- The scratch FTS5 table's texts that match an FTS5 expression.
-- :expression  the expression
-- Index: scratch_fts (FTS5).
SELECT rowid AS number FROM scratch_fts WHERE scratch_fts MATCH :expression ORDER BY rowid;
