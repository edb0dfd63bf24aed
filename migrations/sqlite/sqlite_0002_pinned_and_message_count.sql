-- Pinned messages, an exact message count, and indexes for the token-budget context.
--
-- A pinned message (typically a system message) is always part of the
-- token-budget context, so its tokens are kept out of the running totals:
-- `tokens_before` and `conversations.total_tokens` sum unpinned messages only,
-- and `conversations.pinned_tokens` sums the pinned ones.
-- `message_count` counts stored messages; it differs from `last_seq` once a
-- message has been deleted (seq numbers are never reused).
-- depends: sqlite_0001_initial_schema

ALTER TABLE conversations
    ADD COLUMN pinned_tokens INTEGER NOT NULL DEFAULT 0 CHECK (pinned_tokens >= 0);
ALTER TABLE conversations
    ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0 CHECK (message_count >= 0);

-- No message could be deleted before this migration, so every seq is still in use.
UPDATE conversations SET message_count = last_seq WHERE message_count <> last_seq;

ALTER TABLE messages
    ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1));

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

-- Where the context starts: the first unpinned message whose tokens_before
-- reaches total_tokens - budget, found in one descent.
CREATE INDEX IF NOT EXISTS messages_context_start
    ON messages (conversation_id, tokens_before, seq) WHERE pinned = 0;

-- The pinned messages before that point, without reading the unpinned ones.
CREATE INDEX IF NOT EXISTS messages_pinned
    ON messages (conversation_id, seq) WHERE pinned = 1;
