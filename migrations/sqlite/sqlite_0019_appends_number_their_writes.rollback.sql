-- Back to sqlite_0008's numbering: every new message row is numbered by
-- messages_number_write, and messages_advance_conversation no longer sets
-- the conversation's activity_order.
DROP TRIGGER IF EXISTS messages_count_write;
DROP TRIGGER IF EXISTS messages_number_write;
DROP TRIGGER IF EXISTS messages_advance_conversation;

CREATE TRIGGER messages_number_write
AFTER INSERT ON messages
BEGIN
    UPDATE write_order SET last = last + 1;
    UPDATE messages
       SET write_order = (SELECT last FROM write_order)
     WHERE rowid = NEW.rowid;
    UPDATE conversations
       SET activity_order = (SELECT last FROM write_order)
     WHERE id = NEW.conversation_id;
END;

CREATE TRIGGER messages_advance_conversation
AFTER INSERT ON messages
BEGIN
    UPDATE conversations
       SET last_seq = max(last_seq, NEW.seq),
           message_count = message_count + 1,
           total_tokens = total_tokens
                          + CASE WHEN NEW.pinned THEN 0 ELSE coalesce(NEW.tokens, 100) END,
           pinned_tokens = pinned_tokens
                           + CASE WHEN NEW.pinned THEN coalesce(NEW.tokens, 100) ELSE 0 END,
           updated_at = max(updated_at, NEW.created_at)
     WHERE id = NEW.conversation_id;
END;
