-- Transfer, source side (SQLite): some attachments, every column as stored,
-- in the order of the columns of COPY attachments
-- (sql/transfer/postgres/copy_attachments.sql), so each row is sent as it is.
-- :attachments  a JSON array of objects {"user_id": ..., "sha256": ...}
-- Index: attachments primary key (user_id, sha256), one lookup each.
SELECT a.user_id, a.sha256, a.media_type, a.data, a.byte_size, a.created_at AS created_at_text
  FROM json_each(:attachments) AS wanted
  JOIN attachments AS a
    ON a.user_id = json_extract(wanted.value, '$.user_id')
   AND a.sha256 = json_extract(wanted.value, '$.sha256')
 ORDER BY a.user_id, a.sha256;
