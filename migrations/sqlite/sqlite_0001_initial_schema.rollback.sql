DROP TRIGGER IF EXISTS messages_advance_conversation;
DROP TABLE IF EXISTS messages;
DROP TABLE IF EXISTS conversations;
