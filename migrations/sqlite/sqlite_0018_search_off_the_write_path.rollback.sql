-- Back to indexing on every write (sqlite_0007's triggers): what is noted is
-- indexed first (deleting a note indexes its message), then the notes and
-- their triggers go.
DELETE FROM messages_search_pending;

DROP TRIGGER IF EXISTS messages_search_indexed;
DROP TRIGGER IF EXISTS messages_search_forget;
DROP TRIGGER IF EXISTS messages_search_note_update;
DROP TRIGGER IF EXISTS messages_search_note_insert;
DROP TABLE IF EXISTS messages_search_pending;

CREATE TRIGGER messages_fts_insert
AFTER INSERT ON messages
BEGIN
    INSERT INTO messages_fts (rowid, content, owner)
    VALUES (NEW.rowid, convstore_search_text(substr(NEW.content, 1, 100000)),
            printf('u%064d%s', 0, hex(NEW.user_id)));
END;

CREATE TRIGGER messages_fts_delete
AFTER DELETE ON messages
BEGIN
    DELETE FROM messages_fts WHERE rowid = OLD.rowid;
END;

CREATE TRIGGER messages_fts_update
AFTER UPDATE OF content, user_id ON messages
BEGIN
    DELETE FROM messages_fts WHERE rowid = OLD.rowid;
    INSERT INTO messages_fts (rowid, content, owner)
    VALUES (NEW.rowid, convstore_search_text(substr(NEW.content, 1, 100000)),
            printf('u%064d%s', 0, hex(NEW.user_id)));
END;
