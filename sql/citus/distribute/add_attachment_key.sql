-- Distribution on Citus: puts back the foreign key from message_attachments to
-- the reference table attachments (see drop_attachment_key.sql), validating
-- the rows held; nothing when it is there.
-- Index: attachments_key (user_id, sha256) on each node, for the validation.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'message_attachments_attachment') THEN
        ALTER TABLE message_attachments
            ADD CONSTRAINT message_attachments_attachment
            FOREIGN KEY (user_id, sha256) REFERENCES attachments (user_id, sha256);
    END IF;
END
$$;
