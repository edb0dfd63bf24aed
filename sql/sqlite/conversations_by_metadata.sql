-- One user's conversations whose metadata contains :metadata (every scalar of
-- :metadata at its path, with the same type and value, as PostgreSQL's @>
-- decides; arrays element by element in order), most recently active first.
-- :user_id   whose conversations to look through
-- :metadata  a JSON object, as text
-- :limit     how many conversations at most
-- Index: conversations_user_recent (user_id, updated_at DESC, id DESC).
SELECT id, user_id, title, metadata, created_at, updated_at, message_count
  FROM conversations AS c
 WHERE user_id = :user_id
   AND NOT EXISTS (SELECT 1
                     FROM json_tree(:metadata) AS wanted
                    WHERE wanted.type NOT IN ('object', 'array')
                      AND (json_type(c.metadata, wanted.fullkey) IS NOT wanted.type
                           OR json_extract(c.metadata, wanted.fullkey) IS NOT wanted.atom))
 ORDER BY updated_at DESC, id DESC
 LIMIT :limit;
