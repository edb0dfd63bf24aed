-- messages_idempotency_key makes a key unique within its conversation, so two
-- racing appends with the same key cannot both be stored.
-- conversations_updated_at serves purge_conversations (oldest activity first).
-- Built CONCURRENTLY (writes go on meanwhile), which cannot run in a
-- transaction. A failed build leaves an INVALID index: drop it and migrate again.
-- transactional: false
-- depends: pg_0004_idempotency_keys

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS messages_idempotency_key
    ON messages (conversation_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE INDEX CONCURRENTLY IF NOT EXISTS conversations_updated_at
    ON conversations (updated_at);
