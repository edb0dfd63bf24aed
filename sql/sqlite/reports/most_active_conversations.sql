-- Report: the conversations with the most messages since :since, with their
-- owner, title, reported tokens and last message time; among equally busy
-- ones, the one written to last first (write order, not a timestamp).
-- :since  an ISO 8601 timestamp
-- :limit  how many conversations at most
-- Index: none; reads the messages since :since.
SELECT c.id AS conversation_id, c.user_id, c.title,
       count(*) AS messages,
       coalesce(sum(m.tokens), 0) AS tokens,
       max(m.created_at) AS last_message_at
  FROM messages AS m
  JOIN conversations AS c ON c.id = m.conversation_id
 WHERE m.created_at >= (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(:since, 1, 19) || ltrim(substr(:since, 21), '0123456789') ELSE :since END)
       || '.' || substr(CASE WHEN substr(:since, 20, 1) IN ('.', ',') THEN substr(substr(:since, 21), 1, length(substr(:since, 21)) - length(ltrim(substr(:since, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
 GROUP BY c.id, c.user_id, c.title
 ORDER BY messages DESC, max(m.write_order) DESC, conversation_id
 LIMIT :limit;
