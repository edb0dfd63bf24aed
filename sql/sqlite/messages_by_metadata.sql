-- One user's messages whose metadata contains :metadata, newest first: every
-- scalar of :metadata, at its path (nested objects included), is in the
-- message's metadata with the same type and value, as PostgreSQL's @> decides.
-- (Arrays are compared element by element in order, where @> would accept any
-- order.)
-- :user_id   whose messages to look through
-- :metadata  a JSON object, as text
-- :limit     how many messages at most
-- Index: conversations_user_recent, then messages primary key per conversation.
SELECT m.conversation_id, m.seq, m.role, m.content, m.tokens, m.latency_ms,
       m.metadata, m.created_at
  FROM conversations AS c
  JOIN messages AS m ON m.conversation_id = c.id
 WHERE c.user_id = :user_id
   AND NOT EXISTS (SELECT 1
                     FROM json_tree(:metadata) AS wanted
                    WHERE wanted.type NOT IN ('object', 'array')
                      AND (json_type(m.metadata, wanted.fullkey) IS NOT wanted.type
                           OR json_extract(m.metadata, wanted.fullkey) IS NOT wanted.atom))
 ORDER BY m.created_at DESC, m.seq DESC
 LIMIT :limit;
