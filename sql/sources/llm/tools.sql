-- llm's logs.db (llm 0.26 and later): the tools each response was offered,
-- in the order of llm.responses, then by tool id.
-- t.*: every column the tools table has (name, description, input_schema as
-- JSON text, plugin ...).
-- Index: responses primary key, tools primary key; one sort.
SELECT r.conversation_id IS NULL AS lone,
       CAST(COALESCE(r.conversation_id, r.id) AS TEXT) AS conversation_key,
       CAST(r.id AS TEXT) AS response_key,
       t.*
  FROM tool_responses AS tr
  JOIN responses AS r ON r.id = tr.response_id
  JOIN tools AS t ON t.id = tr.tool_id
 ORDER BY lone, conversation_key, response_key, t.id;
