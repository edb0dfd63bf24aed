-- Timestamps keep microseconds, as on PostgreSQL, so that a value written or
-- imported on either database reads back the same ('2026-11-25T13:38:38.123456Z',
-- 27 characters, where SQLite used to keep milliseconds). Comparisons and
-- ORDER BY compare this text, which is right only if every value has the same
-- width: the values stored before this migration get three more zeros, and
-- rows inserted by another tool with the column defaults (strftime's
-- milliseconds; SQLite cannot change a column's default without rebuilding
-- the table) are widened by the triggers below. convstore's own statements
-- write the new width themselves, so these triggers do nothing for them.
-- depends: sqlite_0008_write_order

UPDATE conversations
   SET created_at = substr(created_at, 1, 23) || '000Z'
 WHERE length(created_at) = 24;

UPDATE conversations
   SET updated_at = substr(updated_at, 1, 23) || '000Z'
 WHERE length(updated_at) = 24;

UPDATE messages
   SET created_at = substr(created_at, 1, 23) || '000Z'
 WHERE length(created_at) = 24;

CREATE TRIGGER conversations_widen_created_at
AFTER INSERT ON conversations
WHEN length(NEW.created_at) = 24
BEGIN
    UPDATE conversations
       SET created_at = substr(created_at, 1, 23) || '000Z'
     WHERE id = NEW.id;
END;

CREATE TRIGGER conversations_widen_updated_at
AFTER UPDATE OF updated_at ON conversations
WHEN length(NEW.updated_at) = 24
BEGIN
    UPDATE conversations
       SET updated_at = substr(updated_at, 1, 23) || '000Z'
     WHERE id = NEW.id;
END;

CREATE TRIGGER conversations_widen_new_updated_at
AFTER INSERT ON conversations
WHEN length(NEW.updated_at) = 24
BEGIN
    UPDATE conversations
       SET updated_at = substr(updated_at, 1, 23) || '000Z'
     WHERE id = NEW.id;
END;

CREATE TRIGGER messages_widen_created_at
AFTER INSERT ON messages
WHEN length(NEW.created_at) = 24
BEGIN
    UPDATE messages
       SET created_at = substr(created_at, 1, 23) || '000Z'
     WHERE rowid = NEW.rowid;
END;
