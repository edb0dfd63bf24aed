-- Citus's version of sql/postgres/message_fingerprints.sql (same rows): each
-- message's seq, kind, idempotency key, fingerprint, tokens and pin, oldest
-- first, read by convstore_conversation_messages one segment at a time, each a
-- router query (migration pg_0030 says why).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: messages primary key (conversation_id, seq), a range on each
--        segment's shard; conversation_ancestors primary key.
SELECT seq, kind, idempotency_key, fingerprint, tokens, tokens_estimated, pinned
  FROM convstore_conversation_messages(:conversation_id, :user_id, NULL, NULL, false, NULL)
 ORDER BY seq;
