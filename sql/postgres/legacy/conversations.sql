-- Legacy import, source side: the conversations of a database made by the
-- original tutorial's PostgresConversationStore (tables conversations and messages).
-- Times come as the database's text (*_text columns are not converted), each
-- read by convstore.validation.timestamp, so one rule reads them all.
-- Index: none; reads the whole table once.
SELECT id::text AS id, user_id, title, created_at AS created_at_text, updated_at AS updated_at_text, metadata::text AS metadata_json
  FROM conversations
 ORDER BY created_at, id;
