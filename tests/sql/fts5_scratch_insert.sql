-- A text for the scratch FTS5 table.
-- :number   its rowid
-- :content  the text
-- Index: none.
INSERT INTO scratch_fts (rowid, content) VALUES (:number, :content);
