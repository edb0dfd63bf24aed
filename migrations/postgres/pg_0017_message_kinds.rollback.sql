-- Keeps every row: items that were not chat messages then read as chat
-- messages of their role, and their payloads are lost.
ALTER TABLE messages
    DROP CONSTRAINT IF EXISTS messages_payload_shape,
    DROP CONSTRAINT IF EXISTS messages_kind_format;
ALTER TABLE messages
    DROP COLUMN IF EXISTS fingerprint,
    DROP COLUMN IF EXISTS payload,
    DROP COLUMN IF EXISTS kind;
