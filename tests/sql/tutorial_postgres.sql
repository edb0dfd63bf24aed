-- A database as the original tutorial's postgres store left it: its schema (from
-- the issue's description), timestamps in UTC to the second, an orphan
-- message, ties in time, a conversation id that is not a UUID.
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    title TEXT,
    created_at TIMESTAMP,
    updated_at TIMESTAMP,
    metadata JSONB
);
CREATE TABLE messages (
    id SERIAL PRIMARY KEY,
    conversation_id TEXT,
    role TEXT,
    content TEXT,
    timestamp TIMESTAMP,
    metadata JSONB
);
INSERT INTO conversations VALUES
    ('c-1', 'alice', 'Old chat', '2024-05-01 10:00:00', '2024-05-01 10:05:00', '{"source": "tutorial"}'),
    ('5b0f7c2e-0000-4000-8000-000000000001', 'bob', NULL, '2024-05-02 09:00:00', '2024-05-02 09:00:00', NULL),
    ('c-empty', 'alice', 'Nothing said', '2024-05-03 08:00:00', '2024-05-03 08:00:00', '{}');
INSERT INTO messages (conversation_id, role, content, timestamp, metadata) VALUES
    ('c-1', 'user', 'first', '2024-05-01 10:00:00', '{"tokens": 3}'),
    ('c-1', 'assistant', 'second', '2024-05-01 10:00:00', '{"tokens": 5, "latency_ms": 120, "model": "gpt"}'),
    ('missing', 'user', 'orphan', '2024-05-01 10:01:00', NULL),
    ('c-1', 'user', 'third', '2024-05-01 10:00:00', NULL),
    ('5b0f7c2e-0000-4000-8000-000000000001', 'user', 'hi from bob', '2024-05-02 09:00:00', '{}');
