-- Conversations and their messages.
--
-- Messages are ordered by a per-conversation sequence number `seq` (1, 2, 3 ...),
-- allocated by sql/postgres/append_message.sql while it holds the conversation
-- row's lock; timestamps are never used for ordering.
--
-- Running token totals make the token-budget context cheap: every message keeps
-- `tokens_before`, the sum of the counted tokens of all earlier messages of its
-- conversation, and the conversation keeps `total_tokens`. A message whose
-- `tokens` is unknown (NULL) counts as 100 tokens.

CREATE TABLE IF NOT EXISTS conversations (
    id           uuid        PRIMARY KEY,
    user_id      text        NOT NULL CHECK (user_id <> ''),
    title        text,
    metadata     jsonb       NOT NULL DEFAULT '{}'::jsonb
                             CHECK (jsonb_typeof(metadata) = 'object'),
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_seq     bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    total_tokens bigint      NOT NULL DEFAULT 0 CHECK (total_tokens >= 0)
);

-- Serves list_conversations: a user's conversations, most recently active first.
CREATE INDEX IF NOT EXISTS conversations_user_recent
    ON conversations (user_id, updated_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS messages (
    conversation_id uuid        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             bigint      NOT NULL CHECK (seq > 0),
    -- Copied from the conversation (which never changes owner): user-scoped
    -- queries and a future distribution by tenant need no join.
    user_id         text        NOT NULL,
    role            text        NOT NULL
                                CHECK (role IN ('system', 'developer', 'user', 'assistant', 'tool')),
    content         text,
    tool_calls      jsonb       CHECK (tool_calls IS NULL OR jsonb_typeof(tool_calls) = 'array'),
    tool_call_id    text,
    name            text,
    tokens          integer     CHECK (tokens >= 0),
    latency_ms      integer     CHECK (latency_ms >= 0),
    tokens_before   bigint      NOT NULL CHECK (tokens_before >= 0),
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb
                                CHECK (jsonb_typeof(metadata) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Also the index for every per-conversation read: by (conversation_id, seq).
    PRIMARY KEY (conversation_id, seq)
);

-- Serves metadata containment queries (metadata @> '{"model": "..."}').
CREATE INDEX IF NOT EXISTS messages_metadata
    ON messages USING gin (metadata jsonb_path_ops);
