CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_context_start
    ON messages (conversation_id, tokens_before, seq) WHERE NOT pinned;

CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_pinned
    ON messages (conversation_id, seq) WHERE pinned;

DROP INDEX CONCURRENTLY IF EXISTS messages_context_descent;

DROP INDEX CONCURRENTLY IF EXISTS messages_pinned_descent;
