-- Transfer, destination side (PostgreSQL): which attachments the copied
-- messages reference (in the same transaction, after the messages and the
-- attachments).
-- Index: message_attachments primary key and message_attachments_by_attachment
--        are maintained.
COPY message_attachments (conversation_id, seq, user_id, sha256)
FROM STDIN;
