-- Transfer, destination side (PostgreSQL): which of some attachments are
-- there already (copied by an earlier page or run, or written here), so the
-- page sends only the bytes of the others.
-- :attachments  a JSON array of objects {"user_id": ..., "sha256": ...}
-- Index: attachments primary key (user_id, sha256), one lookup each.
SELECT a.user_id, a.sha256
  FROM jsonb_to_recordset(:attachments::jsonb) AS wanted(user_id text, sha256 text)
  JOIN attachments AS a ON a.user_id = wanted.user_id AND a.sha256 = wanted.sha256;
