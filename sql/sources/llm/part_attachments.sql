-- llm's logs.db (llm 0.32 and later): the attachments that parts refer to
-- (an attachment part's one, a tool result's), by part, in the order the
-- part gives them. A part's payload holds only their ids; llm stores each
-- attachment once, by the hash of its bytes (llm's docs, "Storage by
-- reference").
-- :part_ids: a JSON array of the parts' ids.
-- content: the bytes, when llm kept them; NULL for one given by path or URL.
-- Index: part_attachments primary key, attachments primary key.
SELECT pa.part_id, pa."order" AS position,
       a.id, a.type, a.path, a.url, a.content
  FROM json_each(:part_ids) AS wanted
  JOIN part_attachments AS pa ON pa.part_id = wanted.value
  JOIN attachments AS a ON a.id = pa.attachment_id
 ORDER BY pa.part_id, position;
