-- Puts every attachment back inline, then drops both tables: each stored part
-- that references one gets its data again (its prefix and the base64 of the
-- bytes, by convstore_base64, which convstore registers on the connection
-- that migrates) in place of the null, and loses its "attachment" member, so
-- every message says what it was given.

UPDATE messages
   SET content_parts = (
       SELECT json_group_array(json(
                  CASE WHEN a.data IS NULL THEN p.value
                       ELSE json_remove(
                                json_set(p.value,
                                         '$.' || json_extract(p.value, '$.type') || '.'
                                         || CASE json_extract(p.value, '$.type')
                                                 WHEN 'image_url' THEN 'url'
                                                 WHEN 'input_audio' THEN 'data'
                                                 ELSE 'file_data' END,
                                         json_extract(p.value, '$.attachment.prefix')
                                         || convstore_base64(a.data)),
                                '$.attachment')
                  END))
         FROM json_each(messages.content_parts) AS p
         LEFT JOIN attachments AS a
                ON json_extract(p.value, '$.type') IN ('image_url', 'input_audio', 'file')
               AND json_type(p.value, '$.attachment') = 'object'
               AND a.user_id = messages.user_id
               AND a.sha256 = json_extract(p.value, '$.attachment.sha256'))
 WHERE EXISTS (SELECT 1
                 FROM message_attachments AS l
                WHERE l.conversation_id = messages.conversation_id
                  AND l.seq = messages.seq);

DROP TABLE IF EXISTS message_attachments;
DROP TABLE IF EXISTS attachments;
