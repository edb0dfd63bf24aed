-- Back to the raw-text, external-content index of sqlite_0006.
DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS messages_fts_delete;
DROP TRIGGER IF EXISTS messages_fts_update;
DROP VIEW IF EXISTS messages_search_source;
DROP TABLE IF EXISTS messages_fts;

CREATE VIEW messages_search_source AS
SELECT rowid AS rowid,
       substr(content, 1, 100000) AS content,
       printf('u%064d%s', 0, hex(user_id)) AS owner
  FROM messages;

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    owner,
    content = 'messages_search_source',
    content_rowid = 'rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

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
