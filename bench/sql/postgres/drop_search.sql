-- bench/writes.py, "search off": the bench's own database loses convstore's
-- search index (the generated search_vector and, with it, its GIN index
-- messages_search), so appends show their cost without it.
-- Index: drops messages_search.
ALTER TABLE messages DROP COLUMN search_vector;
