-- Legacy import, source side: the conversations of a database made by the
-- original tutorial's PostgresConversationStore (tables conversations and messages).
-- Index: none; reads the whole table once.
SELECT id::text AS id, user_id, title, created_at, updated_at, metadata::text AS metadata_json
  FROM conversations
 ORDER BY created_at, id;
