-- Search indexing leaves the write path (issue 17): folding a message's text
-- for search took most of an append's time (batches of 1,000 messages of
-- ~1 KB: 1,505 messages/s with it, 7,715 without), so an append now stores
-- search_vector as NULL and the message's words are indexed later, in bulk:
-- each search first indexes its user's messages that are not yet
-- (index_pending_search.sql), and reads those it could not index (another
-- session is indexing them, or nothing can be written) from their text
-- (search_messages.sql), so a search finds every message committed before it
-- began, as it did.
--
-- search_vector becomes a plain column: NULL means "not indexed yet". Its
-- values are kept (DROP EXPRESSION changes only the catalog: no rewrite, a
-- brief ACCESS EXCLUSIVE lock), and so is the messages_search index.
-- convstore_message_search_vector(content) is what the generated column
-- computed, now named, for the indexing statement and for searches. A tool
-- that changes a message's content must set its search_vector to NULL (as
-- replace_message.sql does), or search keeps finding the old words.
-- depends: pg_0023_attachments

CREATE OR REPLACE FUNCTION convstore_message_search_vector(content text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT convstore_search_vector(left(coalesce(content, ''), 100000)) $$;

ALTER TABLE messages ALTER COLUMN search_vector DROP EXPRESSION IF EXISTS;
