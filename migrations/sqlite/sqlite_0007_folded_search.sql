-- One search semantics on both databases (README, "Search, metadata and
-- reports"; convstore/search_text.py): a message is indexed as its folded words, with
-- no stop words and no stemming, where SQLite used to index its raw text with
-- the Porter stemmer and its own diacritic table.
--
-- convstore_search_text(text) is convstore/search_text.py fold(), which
-- convstore registers on every connection it opens. The FTS5 table now keeps
-- its own copy of the folded text (no longer external content), so that
-- deleting a message needs no function: any tool may delete; a tool that
-- inserts or edits messages without convstore fails with "no such function:
-- convstore_search_text" rather than leave the index wrong. The ascii tokenizer
-- splits the folded text at its spaces and nothing else (folding has turned
-- every other ASCII separator into a space, and it reads every non-ASCII
-- character as part of a word), so both databases see the same words. The
-- index is built again (about 11 s per million messages).
-- depends: sqlite_0006_bounded_search_index

DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS messages_fts_delete;
DROP TRIGGER IF EXISTS messages_fts_update;
DROP VIEW IF EXISTS messages_search_source;
DROP TABLE IF EXISTS messages_fts;

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    owner,
    tokenize = 'ascii'
);

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

INSERT INTO messages_fts (rowid, content, owner)
SELECT rowid, convstore_search_text(substr(content, 1, 100000)),
       printf('u%064d%s', 0, hex(user_id))
  FROM messages;
