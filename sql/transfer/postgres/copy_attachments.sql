-- Transfer, destination side (PostgreSQL): attachments the destination lacks,
-- with their bytes, size and time as at the source.
-- Index: attachments primary key is maintained.
COPY attachments (user_id, sha256, media_type, data, byte_size, created_at)
FROM STDIN;
