-- bench/writes.py, "search off": the bench's own database loses the trigger
-- that notes each new message for convstore's FTS5 index (migration
-- sqlite_0018), so appends show their cost without it.
-- Index: none.
DROP TRIGGER messages_search_note_insert;
