-- A message belongs to its conversation's owner, as PostgreSQL's foreign key
-- messages_conversation_owner enforces: no statement attaches a message to
-- another user's conversation (a raw INSERT would also take the seq the owner's
-- next append needs), and a conversation never changes owner. SQLite cannot
-- add a foreign key to an existing table, so triggers check it; each costs one
-- primary-key lookup per inserted message.
-- depends: sqlite_0004_full_text_search

CREATE TRIGGER IF NOT EXISTS messages_owner_is_conversation_owner
BEFORE INSERT ON messages
WHEN NEW.user_id IS NOT (SELECT user_id FROM conversations WHERE id = NEW.conversation_id)
BEGIN
    SELECT RAISE(ABORT, 'a message''s user_id must be its conversation''s owner');
END;

CREATE TRIGGER IF NOT EXISTS messages_keep_conversation_owner
BEFORE UPDATE OF conversation_id, user_id ON messages
WHEN NEW.user_id IS NOT (SELECT user_id FROM conversations WHERE id = NEW.conversation_id)
BEGIN
    SELECT RAISE(ABORT, 'a message''s user_id must be its conversation''s owner');
END;

CREATE TRIGGER IF NOT EXISTS conversations_keep_owner
BEFORE UPDATE OF user_id ON conversations
WHEN NEW.user_id IS NOT OLD.user_id
BEGIN
    SELECT RAISE(ABORT, 'a conversation never changes owner');
END;
