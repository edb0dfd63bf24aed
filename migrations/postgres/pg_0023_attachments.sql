-- Attachments: the base64 data of content parts (an image_url's data: URL, an
-- input_audio's data, a file's file_data) stored once, by reference
-- (convstore/content/attachments.py says which parts, and the reference a
-- stored part holds instead of its data).
--
-- attachments: one row per user and SHA-256 of the bytes (64 lower-case hex
--   digits), with the media type the first part that held them gave, the
--   bytes and their size. Keyed per user on purpose: de-duplication never
--   crosses users, so no user can learn from a write (its cost, its errors)
--   that another holds a file, and row-level security is one policy, as on
--   every other table.
-- message_attachments: which stored message (conversation_id, seq: the
--   conversation that stores it; a branch that shares it has no row of its
--   own) references which attachment. A deletion finds through it, by
--   message_attachments_by_attachment, the attachments no message references
--   any more (lock_unreferenced_attachments.sql). Deleting a message or a
--   conversation deletes its rows by cascade; an attachment a row references
--   cannot be deleted. A row's user_id is its conversation's owner
--   (message_attachments_owner), so a message never references another
--   user's attachment, whatever the SQL.
--
-- Constraints are named (Citus refuses unnamed ones). No trigger: convstore
-- writes both tables in the transaction that writes the message. The tables
-- are new, so nothing is scanned; messages written before keep their data
-- inline. Re-runnable (IF NOT EXISTS, policies dropped first).
-- depends: pg_0022_conversation_extra

CREATE TABLE IF NOT EXISTS attachments (
    user_id    text        NOT NULL,
    sha256     text        NOT NULL,
    media_type text        NOT NULL,
    data       bytea       NOT NULL,
    byte_size  bigint      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT attachments_key PRIMARY KEY (user_id, sha256),
    CONSTRAINT attachments_sha256_format CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT attachments_media_type_format
        CHECK (length(media_type) BETWEEN 3 AND 255 AND media_type LIKE '%_/_%'),
    CONSTRAINT attachments_byte_size CHECK (byte_size = octet_length(data))
);

CREATE TABLE IF NOT EXISTS message_attachments (
    conversation_id uuid   NOT NULL,
    seq             bigint NOT NULL,
    user_id         text   NOT NULL,
    sha256          text   NOT NULL,
    CONSTRAINT message_attachments_key PRIMARY KEY (conversation_id, seq, sha256),
    CONSTRAINT message_attachments_message
        FOREIGN KEY (conversation_id, seq) REFERENCES messages (conversation_id, seq)
        ON DELETE CASCADE,
    CONSTRAINT message_attachments_owner
        FOREIGN KEY (conversation_id, user_id) REFERENCES conversations (id, user_id)
        ON DELETE CASCADE,
    CONSTRAINT message_attachments_attachment
        FOREIGN KEY (user_id, sha256) REFERENCES attachments (user_id, sha256)
);

-- What references an attachment (a deletion's "is it still used?").
CREATE INDEX IF NOT EXISTS message_attachments_by_attachment
    ON message_attachments (user_id, sha256);

ALTER TABLE attachments ENABLE ROW LEVEL SECURITY;
ALTER TABLE attachments FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS attachments_of_the_scoped_user ON attachments;
CREATE POLICY attachments_of_the_scoped_user ON attachments
    USING (user_id = coalesce((SELECT convstore_scoped_user()), user_id))
    WITH CHECK (user_id = coalesce((SELECT convstore_scoped_user()), user_id));

ALTER TABLE message_attachments ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_attachments FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS message_attachments_of_the_scoped_user ON message_attachments;
CREATE POLICY message_attachments_of_the_scoped_user ON message_attachments
    USING (user_id = coalesce((SELECT convstore_scoped_user()), user_id))
    WITH CHECK (user_id = coalesce((SELECT convstore_scoped_user()), user_id));
