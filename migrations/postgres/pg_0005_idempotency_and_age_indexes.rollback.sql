DROP INDEX CONCURRENTLY IF EXISTS conversations_updated_at;
DROP INDEX CONCURRENTLY IF EXISTS messages_idempotency_key;
