DROP INDEX IF EXISTS conversations_updated_at;
DROP INDEX IF EXISTS messages_idempotency_key;
ALTER TABLE messages DROP COLUMN idempotency_key;
