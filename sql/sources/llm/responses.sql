-- llm's logs.db: every response (one model call: its prompt, system prompt
-- and answer), with its conversation's name and model, grouped by
-- conversation and, within one, in the order llm logged them (ids are ULIDs,
-- which sort by time). A response without a conversation (conversation_id
-- NULL, logged by an llm older than 0.5's conversations or by another
-- program) is one of its own, after all the others: lone 1, conversation_key
-- its own id.
-- lone, conversation_key, response_key: the order of this statement, which the
-- statements of a response's other rows (llm.prompt_attachments ...) share,
-- so that each table is read once, alongside this one.
-- r.*: every column the responses table has in this file; the later ones
-- (input_tokens ... from llm 0.19, schema_id 0.23, resolved_model 0.27,
-- reasoning 0.32) are absent from older files.
-- Index: none serves the order (llm indexes no responses.conversation_id):
-- one scan and one sort; conversations by its primary key.
SELECT r.conversation_id IS NULL AS lone,
       CAST(COALESCE(r.conversation_id, r.id) AS TEXT) AS conversation_key,
       CAST(r.id AS TEXT) AS response_key,
       c.name AS conversation_name,
       c.model AS conversation_model,
       r.*
  FROM responses AS r
  LEFT JOIN conversations AS c ON c.id = r.conversation_id
 ORDER BY lone, conversation_key, response_key;
