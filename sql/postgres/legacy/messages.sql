-- Legacy import, source side: every message that belongs to a conversation,
-- grouped by conversation and in the order it was written (the tutorial's
-- integer id; its timestamps have one-second resolution and tie). One scan:
-- the tutorial's schema has no index on messages.conversation_id.
-- Times come as the database's text (*_text columns are not converted), each
-- read by convstore.validation.timestamp, so one rule reads them all.
-- Index: none; reads the messages table once.
SELECT m.conversation_id::text AS conversation_id, m.id AS legacy_id, m.role, m.content, m.timestamp AS created_at_text, m.metadata::text AS metadata_json
  FROM messages AS m
  JOIN conversations AS c ON c.id::text = m.conversation_id::text
 ORDER BY m.conversation_id, m.id;
