-- llm's logs.db (llm 0.26 and later): the tool calls each response made, in
-- the order of llm.responses, then in the order llm logged them.
-- arguments: JSON text; tool_call_id: the model's id of the call, NULL when
-- the model gave none.
-- Index: responses primary key; one sort.
SELECT r.conversation_id IS NULL AS lone,
       CAST(COALESCE(r.conversation_id, r.id) AS TEXT) AS conversation_key,
       CAST(r.id AS TEXT) AS response_key,
       tc.id, tc.tool_id, tc.name, tc.arguments, tc.tool_call_id
  FROM tool_calls AS tc
  JOIN responses AS r ON r.id = tc.response_id
 ORDER BY lone, conversation_key, response_key, tc.id;
