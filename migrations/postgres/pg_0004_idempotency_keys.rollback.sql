ALTER TABLE messages DROP COLUMN IF EXISTS idempotency_key;
