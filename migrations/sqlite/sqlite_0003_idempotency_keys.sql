-- Idempotency keys: a client may label an append with a key of its choosing; a
-- retried append with the same key returns the stored message instead of
-- storing it twice. messages_idempotency_key makes a key unique within its
-- conversation. conversations_updated_at serves purge_conversations.
-- depends: sqlite_0002_pinned_and_message_count

ALTER TABLE messages
    ADD COLUMN idempotency_key TEXT CHECK (idempotency_key <> '');

CREATE UNIQUE INDEX IF NOT EXISTS messages_idempotency_key
    ON messages (conversation_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE INDEX IF NOT EXISTS conversations_updated_at
    ON conversations (updated_at);
