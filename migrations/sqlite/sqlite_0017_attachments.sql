-- Attachments: the base64 data of content parts stored once, by reference
-- (the tables as in pg_0023_attachments, which says what each holds; the
-- bytes as a BLOB, times as UTC text with microseconds). Keyed per user on
-- purpose: de-duplication never crosses users.
--
-- A row of message_attachments belongs to its conversation's owner: checked
-- by triggers, as sqlite_0005 checks a message's (SQLite cannot reference
-- conversations (id, user_id), which has no unique index here).
--
-- Deleting a message deletes its rows by cascade (PRAGMA foreign_keys = ON,
-- which convstore sets on every connection). A later migration that rebuilds
-- messages as sqlite_0015 did (DROP TABLE, then a renamed copy) runs on
-- yoyo's connection, where foreign keys are off as SQLite's default has
-- them, so its DROP deletes none of these rows, and the renamed copy takes
-- over the references. Re-runnable (IF NOT EXISTS).
-- depends: sqlite_0016_conversation_extra

CREATE TABLE IF NOT EXISTS attachments (
    user_id    TEXT    NOT NULL,
    sha256     TEXT    NOT NULL
                       CONSTRAINT attachments_sha256_format
                       CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    media_type TEXT    NOT NULL
                       CONSTRAINT attachments_media_type_format
                       CHECK (length(media_type) BETWEEN 3 AND 255 AND media_type LIKE '%_/_%'),
    data       BLOB    NOT NULL,
    byte_size  INTEGER NOT NULL
                       CONSTRAINT attachments_byte_size CHECK (byte_size = length(data)),
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'),
    CONSTRAINT attachments_key PRIMARY KEY (user_id, sha256)
) STRICT;

CREATE TABLE IF NOT EXISTS message_attachments (
    conversation_id TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    user_id         TEXT    NOT NULL,
    sha256          TEXT    NOT NULL,
    CONSTRAINT message_attachments_key PRIMARY KEY (conversation_id, seq, sha256),
    CONSTRAINT message_attachments_message
        FOREIGN KEY (conversation_id, seq) REFERENCES messages (conversation_id, seq)
        ON DELETE CASCADE,
    CONSTRAINT message_attachments_attachment
        FOREIGN KEY (user_id, sha256) REFERENCES attachments (user_id, sha256)
) STRICT;

-- What references an attachment (a deletion's "is it still used?").
CREATE INDEX IF NOT EXISTS message_attachments_by_attachment ON message_attachments (user_id, sha256);

CREATE TRIGGER IF NOT EXISTS message_attachments_owner_is_conversation_owner
BEFORE INSERT ON message_attachments
WHEN NEW.user_id IS NOT (SELECT user_id FROM conversations WHERE id = NEW.conversation_id)
BEGIN
    SELECT RAISE(ABORT, 'a message attachment''s user_id must be its conversation''s owner');
END;

CREATE TRIGGER IF NOT EXISTS message_attachments_keep_conversation_owner
BEFORE UPDATE OF conversation_id, user_id ON message_attachments
WHEN NEW.user_id IS NOT (SELECT user_id FROM conversations WHERE id = NEW.conversation_id)
BEGIN
    SELECT RAISE(ABORT, 'a message attachment''s user_id must be its conversation''s owner');
END;
