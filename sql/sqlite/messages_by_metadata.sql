-- One user's messages whose metadata contains :metadata, newest written first
-- (write order, migration sqlite_0008; never a timestamp, which can tie), by
-- PostgreSQL's jsonb @> rules: convstore_json_contains, which convstore
-- registers on its connections (convstore/content/json_containment.py states the
-- rules: ["a", "b"] contains ["b"], 1 is 1.0, true is not 1). Reads the user's
-- messages newest first until :limit match.
-- :user_id   whose messages to look through
-- :metadata  a JSON object, as text
-- :limit     how many messages at most
-- Index: messages_user_write_order (user_id, write_order DESC).
SELECT m.conversation_id, m.seq, m.role, m.content, m.tokens, m.latency_ms,
       m.metadata, m.created_at
  FROM messages AS m
 WHERE m.user_id = :user_id
   AND convstore_json_contains(m.metadata, :metadata)
 ORDER BY m.write_order DESC, m.seq DESC
 LIMIT :limit;
