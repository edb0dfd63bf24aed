-- Search indexes the first 100,000 characters of each message, as on
-- PostgreSQL (pg_0012, where a tsvector holds at most 1 MB), so both databases
-- find the same rows. The FTS5 index reads its text through
-- messages_search_source, and its triggers must give FTS5 exactly what was
-- indexed, so the view and the triggers change together; then the index is
-- rebuilt (about 11 s per million messages).
-- depends: sqlite_0005_message_owner

DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS messages_fts_delete;
DROP TRIGGER IF EXISTS messages_fts_update;
DROP VIEW IF EXISTS messages_search_source;

CREATE VIEW messages_search_source AS
SELECT rowid AS rowid,
       substr(content, 1, 100000) AS content,
       printf('u%064d%s', 0, hex(user_id)) AS owner
  FROM messages;

CREATE TRIGGER messages_fts_insert
AFTER INSERT ON messages
BEGIN
    INSERT INTO messages_fts (rowid, content, owner)
    VALUES (NEW.rowid, substr(NEW.content, 1, 100000), printf('u%064d%s', 0, hex(NEW.user_id)));
END;

CREATE TRIGGER messages_fts_delete
AFTER DELETE ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, owner)
    VALUES ('delete', OLD.rowid, substr(OLD.content, 1, 100000),
            printf('u%064d%s', 0, hex(OLD.user_id)));
END;

CREATE TRIGGER messages_fts_update
AFTER UPDATE OF content, user_id ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, owner)
    VALUES ('delete', OLD.rowid, substr(OLD.content, 1, 100000),
            printf('u%064d%s', 0, hex(OLD.user_id)));
    INSERT INTO messages_fts (rowid, content, owner)
    VALUES (NEW.rowid, substr(NEW.content, 1, 100000), printf('u%064d%s', 0, hex(NEW.user_id)));
END;

INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
