-- Distribution on Citus: drops the foreign key from message_attachments to
-- attachments for a moment, while attachments becomes a reference table:
-- Citus refuses that change while a local table (message_attachments, not yet
-- distributed) references it and is itself referenced by the other
-- conversation tables. add_attachment_key.sql puts it back, checked, once
-- message_attachments is distributed.
-- Index: none.
ALTER TABLE message_attachments DROP CONSTRAINT IF EXISTS message_attachments_attachment;
