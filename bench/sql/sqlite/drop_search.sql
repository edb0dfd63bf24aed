-- bench/writes.py, "search off": the bench's own database loses the triggers
-- that keep convstore's FTS5 index, so appends show their cost without it.
-- Index: none.
DROP TRIGGER messages_fts_insert;
