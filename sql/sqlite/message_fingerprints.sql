-- What a conversation holds, without its content: each message's seq, kind,
-- idempotency key and fingerprint (SHA-256 of what it says, written with it;
-- NULL for messages written before migration pg_0017 / sqlite_0010), oldest
-- first. A mirror compares these with the messages it would write.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: messages primary key (conversation_id, seq).
SELECT seq, kind, idempotency_key, fingerprint
  FROM messages
 WHERE conversation_id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
 ORDER BY seq;
