DROP INDEX CONCURRENTLY IF EXISTS messages_user_write_order;
DROP INDEX CONCURRENTLY IF EXISTS conversations_user_activity;
ALTER TABLE messages DROP COLUMN IF EXISTS write_order;
ALTER TABLE conversations DROP COLUMN IF EXISTS activity_order;
DROP FUNCTION IF EXISTS convstore_write_order();
DROP SEQUENCE IF EXISTS convstore_write_order;
