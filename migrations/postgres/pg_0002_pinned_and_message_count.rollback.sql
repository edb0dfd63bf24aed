ALTER TABLE messages DROP COLUMN IF EXISTS pinned;
ALTER TABLE conversations
    DROP COLUMN IF EXISTS message_count,
    DROP COLUMN IF EXISTS pinned_tokens;
