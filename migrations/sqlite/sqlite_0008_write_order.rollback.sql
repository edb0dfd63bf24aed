DROP INDEX IF EXISTS messages_user_write_order;
DROP INDEX IF EXISTS conversations_user_activity;
DROP TRIGGER IF EXISTS messages_number_write;
DROP TRIGGER IF EXISTS conversations_number_write;
ALTER TABLE messages DROP COLUMN write_order;
ALTER TABLE conversations DROP COLUMN activity_order;
DROP TABLE IF EXISTS write_order;
