-- bench/writes.py, "search off": the bench's own database loses convstore's
-- search index (search_vector and, with it, its indexes messages_search and
-- messages_search_pending), so appends show their cost without it.
-- Index: drops messages_search and messages_search_pending.
ALTER TABLE messages DROP COLUMN search_vector;
