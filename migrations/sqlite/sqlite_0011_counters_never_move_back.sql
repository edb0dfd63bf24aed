-- A conversation's last_seq and updated_at never move back. An import inserts
-- messages at their own, possibly older, seqs and times; the trigger used to set
-- last_seq and updated_at to the inserted message's, so re-importing a message
-- that had been deleted could hand out seqs already used (seqs are never
-- reused) and make an active conversation look idle. Appends are unchanged:
-- their seq and time are the newest anyway.
-- depends: sqlite_0010_message_kinds

DROP TRIGGER IF EXISTS messages_advance_conversation;

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
