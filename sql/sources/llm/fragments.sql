-- llm's logs.db (llm 0.24 and later): the fragments each response's prompt
-- (kind 'prompt') and system prompt (kind 'system') were built from, in the
-- order of llm.responses, then the order they were given in. llm stores a
-- fragment once (by hash) and the prompt and system columns without them.
-- Index: responses primary key, fragments primary key; one sort.
SELECT r.conversation_id IS NULL AS lone,
       CAST(COALESCE(r.conversation_id, r.id) AS TEXT) AS conversation_key,
       CAST(r.id AS TEXT) AS response_key,
       used.kind, used.position,
       f.id, f.hash, f.content, f.datetime_utc, f.source
  FROM (SELECT 'prompt' AS kind, response_id, "order" AS position, fragment_id
          FROM prompt_fragments
        UNION ALL
        SELECT 'system', response_id, "order", fragment_id
          FROM system_fragments) AS used
  JOIN responses AS r ON r.id = used.response_id
  JOIN fragments AS f ON f.id = used.fragment_id
 ORDER BY lone, conversation_key, response_key, used.kind, used.position;
