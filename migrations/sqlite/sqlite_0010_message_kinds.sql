-- Items other than chat messages, and a fingerprint of each message.
--
-- kind: what the item is. 'message' (every row written before this migration)
-- is a chat message. Any other kind is another item of a model API, named by
-- its producer's own type name (the OpenAI Responses API's 'reasoning' or
-- 'function_call', pydantic-ai's 'thinking' ...): lower-case letters, digits
-- and _ . : -, at most 64 characters.
-- payload: the item exactly as its producer gave it (a JSON object or array,
-- as text), or NULL.
-- fingerprint: SHA-256 (hex) of what the message says, computed by convstore
-- when it writes the message (convstore/validation.py, message_fingerprint); NULL for the
-- messages written before this migration.
-- depends: sqlite_0009_microsecond_timestamps

ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message'
    CONSTRAINT messages_kind_format
    CHECK (length(kind) BETWEEN 1 AND 64 AND kind NOT GLOB '*[^a-z0-9_.:-]*');

ALTER TABLE messages ADD COLUMN payload TEXT
    CONSTRAINT messages_payload_shape
    CHECK (payload IS NULL OR (json_valid(payload) AND json_type(payload) IN ('object', 'array')));

ALTER TABLE messages ADD COLUMN fingerprint TEXT;
