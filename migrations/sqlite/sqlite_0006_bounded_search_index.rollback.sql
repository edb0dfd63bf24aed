DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS messages_fts_delete;
DROP TRIGGER IF EXISTS messages_fts_update;
DROP VIEW IF EXISTS messages_search_source;

CREATE VIEW messages_search_source AS
SELECT rowid AS rowid,
       content,
       printf('u%064d%s', 0, hex(user_id)) AS owner
  FROM messages;

CREATE TRIGGER messages_fts_insert
AFTER INSERT ON messages
BEGIN
    INSERT INTO messages_fts (rowid, content, owner)
    VALUES (NEW.rowid, NEW.content, printf('u%064d%s', 0, hex(NEW.user_id)));
END;

CREATE TRIGGER messages_fts_delete
AFTER DELETE ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, owner)
    VALUES ('delete', OLD.rowid, OLD.content, printf('u%064d%s', 0, hex(OLD.user_id)));
END;

CREATE TRIGGER messages_fts_update
AFTER UPDATE OF content, user_id ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, owner)
    VALUES ('delete', OLD.rowid, OLD.content, printf('u%064d%s', 0, hex(OLD.user_id)));
    INSERT INTO messages_fts (rowid, content, owner)
    VALUES (NEW.rowid, NEW.content, printf('u%064d%s', 0, hex(NEW.user_id)));
END;

INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
