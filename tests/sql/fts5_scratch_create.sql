-- A scratch FTS5 table tokenized as messages_fts is (migration sqlite_0007),
-- so a test can compare convstore's matcher of unindexed text with FTS5.
-- Index: none.
CREATE VIRTUAL TABLE scratch_fts USING fts5(content, tokenize = 'ascii');
