-- llm's logs.db (llm 0.32 and later): the fragments whose text parts'
-- payloads name them in a text_ref (the part's text is its fragments and
-- literals, joined; llm's docs, "Storage by reference"), each once.
-- :part_ids: a JSON array of the parts' ids.
-- Index: part_fragments primary key, fragments primary key.
SELECT DISTINCT f.id, f.content
  FROM json_each(:part_ids) AS wanted
  JOIN part_fragments AS pf ON pf.part_id = wanted.value
  JOIN fragments AS f ON f.id = pf.fragment_id;
