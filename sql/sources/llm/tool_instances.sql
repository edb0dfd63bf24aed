-- llm's logs.db (llm 0.26 and later): the toolbox instance (its plugin, name
-- and constructor arguments as JSON text) that produced each tool result
-- that names one, in the order of llm.responses, then by tool result id.
-- Index: responses primary key, tool_instances primary key; one sort.
SELECT r.conversation_id IS NULL AS lone,
       CAST(COALESCE(r.conversation_id, r.id) AS TEXT) AS conversation_key,
       CAST(r.id AS TEXT) AS response_key,
       tr.id AS tool_result_id,
       ti.id, ti.plugin, ti.name, ti.arguments
  FROM tool_results AS tr
  JOIN responses AS r ON r.id = tr.response_id
  JOIN tool_instances AS ti ON ti.id = tr.instance_id
 ORDER BY lone, conversation_key, response_key, tool_result_id;
