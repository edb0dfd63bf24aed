-- llm's logs.db (llm 0.23 and later): the JSON schema (content, JSON text)
-- each response was asked to follow, in the order of llm.responses.
-- Index: schemas primary key; one sort.
SELECT r.conversation_id IS NULL AS lone,
       CAST(COALESCE(r.conversation_id, r.id) AS TEXT) AS conversation_key,
       CAST(r.id AS TEXT) AS response_key,
       s.id, s.content
  FROM responses AS r
  JOIN schemas AS s ON s.id = r.schema_id
 ORDER BY lone, conversation_key, response_key;
