-- Search indexing leaves the write path (issue 17), as on PostgreSQL
-- (pg_0024): folding a message's text and writing it to messages_fts took
-- more than half of an append's time (the append statement, 1 KB messages,
-- one commit each: 2,873 a second with it, 7,292 without). An append now only notes the message in
-- messages_search_pending, and the words are indexed later, in bulk: each
-- search first indexes its user's noted messages (index_pending_search.sql),
-- and reads those still noted from their text (search_messages.sql), so a
-- search finds every message committed before it began, on a file opened
-- read-only too.
--
-- Deleting a note indexes its message (trigger messages_search_indexed: that
-- is how index_pending_search.sql, one DELETE, indexes), or nothing when the
-- message itself is gone. A tool that inserts or edits messages without
-- convstore no longer needs convstore_search_text: its messages are noted
-- and indexed by the next search. What is indexed stays: nothing is scanned.
-- depends: sqlite_0017_attachments

CREATE TABLE IF NOT EXISTS messages_search_pending (
    message_rowid INTEGER NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL
) STRICT;

-- A search's own user's unindexed messages, whoever else's are waiting.
CREATE INDEX IF NOT EXISTS messages_search_pending_user
    ON messages_search_pending (user_id);

DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS messages_fts_update;
DROP TRIGGER IF EXISTS messages_fts_delete;

CREATE TRIGGER messages_search_note_insert
AFTER INSERT ON messages
BEGIN
    INSERT INTO messages_search_pending (message_rowid, user_id) VALUES (NEW.rowid, NEW.user_id);
END;

CREATE TRIGGER messages_search_note_update
AFTER UPDATE OF content, user_id ON messages
BEGIN
    DELETE FROM messages_fts WHERE rowid = OLD.rowid;
    INSERT OR REPLACE INTO messages_search_pending (message_rowid, user_id)
    VALUES (NEW.rowid, NEW.user_id);
END;

CREATE TRIGGER messages_search_forget
AFTER DELETE ON messages
BEGIN
    DELETE FROM messages_fts WHERE rowid = OLD.rowid;
    DELETE FROM messages_search_pending WHERE message_rowid = OLD.rowid;
END;

CREATE TRIGGER messages_search_indexed
AFTER DELETE ON messages_search_pending
BEGIN
    INSERT INTO messages_fts (rowid, content, owner)
    SELECT rowid, convstore_search_text(substr(content, 1, 100000)),
           printf('u%064d%s', 0, hex(user_id))
      FROM messages
     WHERE rowid = OLD.message_rowid;
END;
