-- One user's messages whose metadata contains :metadata (JSON containment:
-- every key and value of :metadata, nested objects included, is in the
-- message's metadata), newest written first (write order, migration
-- pg_0016; never a timestamp, which can tie).
-- :user_id   whose messages to look through
-- :metadata  a JSON object, as text
-- :limit     how many messages at most
-- Index: messages_metadata (GIN, jsonb_path_ops) for the containment.
SELECT m.conversation_id, m.seq, m.role, m.content, m.tokens, m.latency_ms,
       m.metadata, m.created_at
  FROM messages AS m
 WHERE m.metadata @> :metadata::jsonb
   AND m.user_id = :user_id
 ORDER BY m.write_order DESC NULLS LAST, m.seq DESC
 LIMIT :limit;
