-- llm's logs.db (llm 0.17 and later): the attachments sent with each
-- response's prompt (images, audio, documents), in the order of
-- llm.responses, then the order they were given in.
-- content: the bytes, when llm kept them (an attachment given as content or
-- fetched from a URL); NULL for one given by path or URL only.
-- Index: responses primary key; one sort.
SELECT r.conversation_id IS NULL AS lone,
       CAST(COALESCE(r.conversation_id, r.id) AS TEXT) AS conversation_key,
       CAST(r.id AS TEXT) AS response_key,
       pa."order" AS position,
       a.id, a.type, a.path, a.url, a.content
  FROM prompt_attachments AS pa
  JOIN responses AS r ON r.id = pa.response_id
  JOIN attachments AS a ON a.id = pa.attachment_id
 ORDER BY lone, conversation_key, response_key, position;
