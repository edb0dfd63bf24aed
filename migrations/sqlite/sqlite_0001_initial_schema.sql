-- Conversations and their messages.
--
-- Messages are ordered by a per-conversation sequence number `seq` (1, 2, 3 ...),
-- allocated by sql/sqlite/append_message.sql inside a BEGIN IMMEDIATE
-- transaction; timestamps are never used for ordering.
--
-- Running token totals make the token-budget context cheap: every message keeps
-- `tokens_before`, the sum of the counted tokens of all earlier messages of its
-- conversation, and the conversation keeps `total_tokens`. A message whose
-- `tokens` is unknown (NULL) counts as 100 tokens.
--
-- Timestamps are ISO 8601 text in UTC with milliseconds ('2026-11-25T13:38:38.123Z').
-- STRICT tables reject values of the wrong type, as PostgreSQL does.

CREATE TABLE IF NOT EXISTS conversations (
    id           TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    user_id      TEXT    NOT NULL CHECK (user_id <> ''),
    title        TEXT,
    metadata     TEXT    NOT NULL DEFAULT '{}'
                         CHECK (CASE WHEN json_valid(metadata)
                                     THEN json_type(metadata) = 'object' ELSE 0 END),
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_seq     INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    total_tokens INTEGER NOT NULL DEFAULT 0 CHECK (total_tokens >= 0)
) STRICT;

-- Serves list_conversations: a user's conversations, most recently active first.
CREATE INDEX IF NOT EXISTS conversations_user_recent
    ON conversations (user_id, updated_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS messages (
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL CHECK (seq > 0),
    -- Copied from the conversation (which never changes owner), as on PostgreSQL.
    user_id         TEXT    NOT NULL,
    role            TEXT    NOT NULL
                            CHECK (role IN ('system', 'developer', 'user', 'assistant', 'tool')),
    content         TEXT,
    tool_calls      TEXT    CHECK (tool_calls IS NULL OR
                                   CASE WHEN json_valid(tool_calls)
                                        THEN json_type(tool_calls) = 'array' ELSE 0 END),
    tool_call_id    TEXT,
    name            TEXT,
    tokens          INTEGER CHECK (tokens >= 0),
    latency_ms      INTEGER CHECK (latency_ms >= 0),
    tokens_before   INTEGER NOT NULL CHECK (tokens_before >= 0),
    metadata        TEXT    NOT NULL DEFAULT '{}'
                            CHECK (CASE WHEN json_valid(metadata)
                                        THEN json_type(metadata) = 'object' ELSE 0 END),
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- Also the index for every per-conversation read: by (conversation_id, seq).
    PRIMARY KEY (conversation_id, seq)
) STRICT;

-- SQLite has no data-modifying CTE, so append_message.sql inserts the message
-- (reading last_seq and total_tokens from the conversation) and this trigger
-- advances the conversation's counters in the same statement. Appends hold the
-- write lock (BEGIN IMMEDIATE), so no other writer sees the counters in between.
CREATE TRIGGER IF NOT EXISTS messages_advance_conversation
AFTER INSERT ON messages
BEGIN
    UPDATE conversations
       SET last_seq = NEW.seq,
           total_tokens = total_tokens + coalesce(NEW.tokens, 100),
           updated_at = NEW.created_at
     WHERE id = NEW.conversation_id;
END;
