-- llm's logs.db (llm 0.27 and later): the attachments each tool result
-- returned (llm also sends them with the next prompt, so they are among
-- that response's llm.prompt_attachments), in the order of llm.responses,
-- then by tool result and the order the tool gave them in.
-- Index: responses primary key; one sort.
SELECT r.conversation_id IS NULL AS lone,
       CAST(COALESCE(r.conversation_id, r.id) AS TEXT) AS conversation_key,
       CAST(r.id AS TEXT) AS response_key,
       tra.tool_result_id, tra."order" AS position, tra.attachment_id
  FROM tool_results_attachments AS tra
  JOIN tool_results AS tr ON tr.id = tra.tool_result_id
  JOIN responses AS r ON r.id = tr.response_id
 ORDER BY lone, conversation_key, response_key, tra.tool_result_id, position;
