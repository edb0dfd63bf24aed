-- Report: conversations active since :since that have messages but no
-- assistant reply yet, most recently active first (write order, not a
-- timestamp).
-- :since  an ISO 8601 timestamp
-- :limit  how many conversations at most
-- Index: conversations_updated_at for the period; messages primary key per conversation.
SELECT c.id AS conversation_id, c.user_id, c.title, c.message_count, c.updated_at
  FROM conversations AS c
 WHERE c.updated_at >= (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(:since, 1, 19) || ltrim(substr(:since, 21), '0123456789') ELSE :since END)
       || '.' || substr(CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(substr(:since, 21), 1, length(substr(:since, 21)) - length(ltrim(substr(:since, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
   AND c.message_count > 0
   AND NOT EXISTS (SELECT 1
                     FROM messages AS m
                    WHERE m.conversation_id = c.id
                      AND m.role = 'assistant')
 ORDER BY c.activity_order DESC, c.id
 LIMIT :limit;
