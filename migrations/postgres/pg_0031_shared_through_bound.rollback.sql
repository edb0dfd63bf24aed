DROP FUNCTION IF EXISTS convstore_shared_seqs(uuid, text);
ALTER TABLE conversations DROP COLUMN IF EXISTS shared_through_bound;
