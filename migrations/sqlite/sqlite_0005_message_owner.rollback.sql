DROP TRIGGER IF EXISTS conversations_keep_owner;
DROP TRIGGER IF EXISTS messages_keep_conversation_owner;
DROP TRIGGER IF EXISTS messages_owner_is_conversation_owner;
