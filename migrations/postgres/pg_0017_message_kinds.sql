-- Items other than chat messages, and a fingerprint of each message.
--
-- kind: what the item is. 'message' (every row written before this migration)
-- is a chat message. Any other kind is another item of a model API, named by
-- its producer's own type name (the OpenAI Responses API's 'reasoning' or
-- 'function_call', pydantic-ai's 'thinking' ...): lower-case letters, digits
-- and _ . : -, at most 64 characters.
-- payload: the item exactly as its producer gave it (a JSON object or array),
-- or NULL.
-- fingerprint: SHA-256 (hex) of what the message says, computed by convstore
-- when it writes the message (convstore/validation.py, message_fingerprint); NULL for the
-- messages written before this migration.
--
-- The new columns rewrite nothing (a constant default). The CHECKs are added NOT
-- VALID: they hold for every new or changed row, and the rows already there
-- all have the defaults, so it is not checked by a scan of the whole table
-- under this migration's exclusive lock.
-- depends: pg_0016_write_order

ALTER TABLE messages
    ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'message',
    ADD COLUMN IF NOT EXISTS payload jsonb,
    ADD COLUMN IF NOT EXISTS fingerprint text;

ALTER TABLE messages
    ADD CONSTRAINT messages_kind_format CHECK (kind ~ '^[a-z0-9_.:-]{1,64}$') NOT VALID,
    ADD CONSTRAINT messages_payload_shape
        CHECK (jsonb_typeof(payload) IN ('object', 'array')) NOT VALID;
