-- Puts every attachment back inline, then drops both tables: each stored part
-- that references one gets its data again (its prefix and the base64 of the
-- bytes, without the line breaks PostgreSQL's encode inserts) in place of the
-- null, and loses its "attachment" member, so every message says what it was
-- given. Reads the messages that reference attachments, once. Runs again
-- after a crash between it and its record (the tables are gone by then).

DO $$
BEGIN
IF to_regclass('message_attachments') IS NOT NULL THEN
UPDATE messages AS m
   SET content_parts = (
       SELECT jsonb_agg(
                  CASE WHEN a.data IS NULL THEN p.part
                       ELSE jsonb_set(
                                p.part - 'attachment',
                                ARRAY[p.part ->> 'type',
                                      CASE p.part ->> 'type'
                                           WHEN 'image_url' THEN 'url'
                                           WHEN 'input_audio' THEN 'data'
                                           ELSE 'file_data' END],
                                to_jsonb((p.part -> 'attachment' ->> 'prefix')
                                         || translate(encode(a.data, 'base64'), E'\n', '')))
                  END
                  ORDER BY p.position)
         FROM jsonb_array_elements(m.content_parts) WITH ORDINALITY AS p(part, position)
         LEFT JOIN attachments AS a
                ON p.part ->> 'type' IN ('image_url', 'input_audio', 'file')
               AND jsonb_typeof(p.part -> 'attachment') = 'object'
               AND a.user_id = m.user_id
               AND a.sha256 = p.part -> 'attachment' ->> 'sha256')
 WHERE EXISTS (SELECT 1
                 FROM message_attachments AS l
                WHERE l.conversation_id = m.conversation_id
                  AND l.seq = m.seq);
END IF;
END
$$;

DROP TABLE IF EXISTS message_attachments;
DROP TABLE IF EXISTS attachments;
