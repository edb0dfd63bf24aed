-- Full-text search over message content: an FTS5 index kept in step with the
-- messages table by triggers (external content, so the text is stored once).
--
-- Each message is indexed with an `owner` token derived from its user id, and
-- every search ANDs that token into the match: FTS5 then ranks only the
-- searching user's matches instead of every user's (a common word otherwise
-- costs a ranking of the whole table). The token is 'u', 64 zeros and the user
-- id in hex: over 64 characters, so the porter stemmer leaves it whole and no
-- two users' tokens can meet.
-- depends: sqlite_0003_idempotency_keys

CREATE VIEW IF NOT EXISTS messages_search_source AS
SELECT rowid AS rowid,
       content,
       printf('u%064d%s', 0, hex(user_id)) AS owner
  FROM messages;

CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
    content,
    owner,
    content = 'messages_search_source',
    content_rowid = 'rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER IF NOT EXISTS messages_fts_insert
AFTER INSERT ON messages
BEGIN
    INSERT INTO messages_fts (rowid, content, owner)
    VALUES (NEW.rowid, NEW.content, printf('u%064d%s', 0, hex(NEW.user_id)));
END;

CREATE TRIGGER IF NOT EXISTS messages_fts_delete
AFTER DELETE ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, owner)
    VALUES ('delete', OLD.rowid, OLD.content, printf('u%064d%s', 0, hex(OLD.user_id)));
END;

CREATE TRIGGER IF NOT EXISTS messages_fts_update
AFTER UPDATE OF content, user_id ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, owner)
    VALUES ('delete', OLD.rowid, OLD.content, printf('u%064d%s', 0, hex(OLD.user_id)));
    INSERT INTO messages_fts (rowid, content, owner)
    VALUES (NEW.rowid, NEW.content, printf('u%064d%s', 0, hex(NEW.user_id)));
END;

-- Index the messages stored before this migration.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
