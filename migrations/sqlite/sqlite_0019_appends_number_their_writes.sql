-- convstore's appends number their own writes (issue 17): the message's
-- write_order is in the INSERT itself, where the trigger messages_number_write
-- (sqlite_0008) wrote every new message row a second time to set it and
-- updated its conversation once more (measured without search indexing, the
-- append statement, 1 KB messages, one commit each: 7,292 a second with that
-- trigger, 9,672 without). Now:
-- - messages_number_write numbers only rows that come without a write order
--   (a tool's own INSERT), as before;
-- - messages_count_write moves the counter past a row's own number;
-- - messages_advance_conversation, which already updates the conversation
--   for every message, also sets its activity_order to the message's number.
-- Triggers of one event run newest first: the conversation's activity_order
-- is set by messages_advance_conversation for convstore's rows, and by
-- messages_number_write (which runs after it) for a tool's.
-- depends: sqlite_0018_search_off_the_write_path

DROP TRIGGER IF EXISTS messages_number_write;

CREATE TRIGGER messages_number_write
AFTER INSERT ON messages
WHEN NEW.write_order IS NULL
BEGIN
    UPDATE write_order SET last = last + 1;
    UPDATE messages
       SET write_order = (SELECT last FROM write_order)
     WHERE rowid = NEW.rowid;
    UPDATE conversations
       SET activity_order = (SELECT last FROM write_order)
     WHERE id = NEW.conversation_id;
END;

CREATE TRIGGER messages_count_write
AFTER INSERT ON messages
WHEN NEW.write_order IS NOT NULL
BEGIN
    UPDATE write_order SET last = max(last, NEW.write_order);
END;

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
           updated_at = max(updated_at, NEW.created_at),
           activity_order = coalesce(NEW.write_order, activity_order)
     WHERE id = NEW.conversation_id;
END;
