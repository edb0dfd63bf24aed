DROP INDEX IF EXISTS messages_pinned;
DROP INDEX IF EXISTS messages_context_start;

DROP TRIGGER IF EXISTS messages_advance_conversation;

CREATE TRIGGER messages_advance_conversation
AFTER INSERT ON messages
BEGIN
    UPDATE conversations
       SET last_seq = NEW.seq,
           total_tokens = total_tokens + coalesce(NEW.tokens, 100),
           updated_at = NEW.created_at
     WHERE id = NEW.conversation_id;
END;

ALTER TABLE messages DROP COLUMN pinned;
ALTER TABLE conversations DROP COLUMN message_count;
ALTER TABLE conversations DROP COLUMN pinned_tokens;
