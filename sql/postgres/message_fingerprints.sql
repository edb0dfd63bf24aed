-- What a conversation holds, without its content: each message's seq, kind,
-- idempotency key, fingerprint (SHA-256 of what it says, written with it; NULL
-- for messages written before migration pg_0017 / sqlite_0010), and its token
-- count and pin, which the fingerprint leaves out; oldest first. A mirror
-- compares these with the messages it would write. (SQLite reads each row
-- whole, content included, to reach these columns; PostgreSQL keeps long
-- content out of line and does not read it.)
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: messages primary key (conversation_id, seq).
SELECT seq, kind, idempotency_key, fingerprint, tokens, pinned
  FROM messages
 WHERE conversation_id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id)
 ORDER BY seq;
