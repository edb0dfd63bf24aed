-- Idempotency keys: a client may label an append with a key of its choosing; a
-- retried append with the same key returns the stored message instead of
-- storing it twice (enforced by messages_idempotency_key, next migration).
-- depends: pg_0003_context_indexes

ALTER TABLE messages
    ADD COLUMN IF NOT EXISTS idempotency_key text
    CHECK (idempotency_key <> '');
