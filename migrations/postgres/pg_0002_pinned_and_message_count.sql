-- Pinned messages and an exact message count.
--
-- A pinned message (typically a system message) is always part of the
-- token-budget context, so its tokens are kept out of the running totals:
-- `tokens_before` and `conversations.total_tokens` sum unpinned messages only,
-- and `conversations.pinned_tokens` sums the pinned ones.
-- `message_count` counts stored messages; it differs from `last_seq` once a
-- message has been deleted (seq numbers are never reused).
-- depends: pg_0001_initial_schema

ALTER TABLE conversations
    ADD COLUMN IF NOT EXISTS pinned_tokens bigint NOT NULL DEFAULT 0 CHECK (pinned_tokens >= 0),
    ADD COLUMN IF NOT EXISTS message_count bigint NOT NULL DEFAULT 0 CHECK (message_count >= 0);

-- No message could be deleted before this migration, so every seq is still in use.
UPDATE conversations SET message_count = last_seq WHERE message_count <> last_seq;

ALTER TABLE messages
    ADD COLUMN IF NOT EXISTS pinned boolean NOT NULL DEFAULT false;
