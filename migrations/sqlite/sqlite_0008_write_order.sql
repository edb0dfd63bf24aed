-- Write order: every "newest first" across conversations (listing, exact
-- search, metadata search, search ties) follows the order in which rows were
-- written, never a timestamp (two writes in one millisecond tied, and the
-- tie fell to the random conversation id).
--
-- One counter (the write_order table's single row) numbers every write: a
-- new conversation takes the next number as its activity_order, a new
-- message takes it as its write_order and gives it to its conversation's
-- activity_order. Triggers keep it, so every statement that inserts (convstore's
-- or another tool's) is numbered; SQLite admits one writer at a time, so the
-- numbers follow the order of commits. Rows written before this migration are
-- numbered 0, -1, -2 ... in their old order (activity time, then id; message
-- time, then conversation and seq), below every new number.
-- depends: sqlite_0007_folded_search

CREATE TABLE IF NOT EXISTS write_order (
    singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    last      INTEGER NOT NULL
) STRICT;

INSERT INTO write_order (singleton, last) VALUES (1, 0) ON CONFLICT DO NOTHING;

ALTER TABLE conversations ADD COLUMN activity_order INTEGER;
ALTER TABLE messages ADD COLUMN write_order INTEGER;

UPDATE conversations
   SET activity_order = ranked.position
  FROM (SELECT id,
               row_number() OVER (ORDER BY updated_at, id) - count(*) OVER () AS position
          FROM conversations) AS ranked
 WHERE conversations.id = ranked.id;

UPDATE messages
   SET write_order = ranked.position
  FROM (SELECT conversation_id, seq,
               row_number() OVER (ORDER BY created_at, conversation_id, seq)
               - count(*) OVER () AS position
          FROM messages) AS ranked
 WHERE messages.conversation_id = ranked.conversation_id
   AND messages.seq = ranked.seq;

CREATE TRIGGER conversations_number_write
AFTER INSERT ON conversations
BEGIN
    UPDATE write_order SET last = last + 1;
    UPDATE conversations
       SET activity_order = (SELECT last FROM write_order)
     WHERE id = NEW.id;
END;

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

-- list_conversations and conversations_by_metadata: a user's conversations,
-- most recently written to first.
CREATE INDEX conversations_user_activity
    ON conversations (user_id, activity_order DESC, id DESC);

-- find_messages: a user's messages, newest written first, read until enough match.
CREATE INDEX messages_user_write_order
    ON messages (user_id, write_order DESC);
