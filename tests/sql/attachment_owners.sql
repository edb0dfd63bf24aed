-- The owners whose attachment rows a session sees, by table.
-- Index: none; reads both tables.
SELECT 'attachments' AS table_name, user_id FROM attachments
 UNION SELECT 'message_attachments', user_id FROM message_attachments;
