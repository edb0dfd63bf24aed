-- Baseline for bench/writes.py: messages stored the way the fastest peer
-- stores store them (langchain-postgres, OpenAI Agents' SQLiteSession): one
-- row per message, the message's JSON whole in one column.
-- Index: the primary key; peer_messages_index.sql adds the conversation's.
CREATE TABLE peer_messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    message         TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
