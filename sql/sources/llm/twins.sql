-- llm's logs.db (llm 0.32 and later): the responses that are also turns
-- (same id), in the order of llm.responses. Unreleased builds between
-- 0.32a3 and 0.32rc1 logged each call to both generations of tables, and
-- llm logs shows such a pair once, as its turn ("A response whose id also
-- exists in turns is suppressed", llm/logs.py, legacy rows): so does
-- convstore.transfer.llm_logs.
-- Index: turns primary key, once a response; one sort.
SELECT r.conversation_id IS NULL AS lone,
       CAST(COALESCE(r.conversation_id, r.id) AS TEXT) AS conversation_key,
       CAST(r.id AS TEXT) AS response_key
  FROM responses AS r
  JOIN turns AS t ON t.id = r.id
 ORDER BY lone, conversation_key, response_key;
