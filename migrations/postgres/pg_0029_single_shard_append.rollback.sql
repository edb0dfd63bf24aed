DROP FUNCTION IF EXISTS convstore_append_message(
    uuid, text, text, text, jsonb, text, text, integer, integer, boolean, jsonb, text, text,
    jsonb, text, jsonb, jsonb, text, smallint, jsonb, boolean);
DROP FUNCTION IF EXISTS convstore_append_messages(uuid, text, jsonb);
