DROP TRIGGER IF EXISTS messages_advance_conversation;

CREATE TRIGGER messages_advance_conversation
AFTER INSERT ON messages
BEGIN
    UPDATE conversations
       SET last_seq = NEW.seq,
           message_count = message_count + 1,
           total_tokens = total_tokens
                          + CASE WHEN NEW.pinned THEN 0 ELSE coalesce(NEW.tokens, 100) END,
           pinned_tokens = pinned_tokens
                           + CASE WHEN NEW.pinned THEN coalesce(NEW.tokens, 100) ELSE 0 END,
           updated_at = NEW.created_at
     WHERE id = NEW.conversation_id;
END;
