-- Legacy import, source side: the conversations of a database made by the
-- original tutorial's SQLiteConversationStore (tables conversations and messages).
-- Index: none; reads the whole table once.
SELECT id, user_id, title, created_at, updated_at, metadata AS metadata_json
  FROM conversations
 ORDER BY created_at, id;
