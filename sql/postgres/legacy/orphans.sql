-- Legacy import, source side: messages whose conversation does not exist (the
-- tutorial did not enforce its foreign key); they are reported and skipped.
-- Index: none.
SELECT m.id AS legacy_id, m.conversation_id::text AS conversation_id
  FROM messages AS m
  LEFT JOIN conversations AS c ON c.id::text = m.conversation_id::text
 WHERE c.id IS NULL
 ORDER BY m.id;
