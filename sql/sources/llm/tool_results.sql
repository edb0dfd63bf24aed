-- llm's logs.db (llm 0.26 and later): the tool results each response's
-- prompt sent back to the model, in the order of llm.responses, then in the
-- order llm logged them.
-- tr.*: every column the tool_results table has (instance_id from llm 0.26,
-- exception 0.27).
-- Index: responses primary key; one sort.
SELECT r.conversation_id IS NULL AS lone,
       CAST(COALESCE(r.conversation_id, r.id) AS TEXT) AS conversation_key,
       CAST(r.id AS TEXT) AS response_key,
       tr.*
  FROM tool_results AS tr
  JOIN responses AS r ON r.id = tr.response_id
 ORDER BY lone, conversation_key, response_key, tr.id;
