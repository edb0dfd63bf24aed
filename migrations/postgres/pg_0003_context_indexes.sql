-- Indexes for the token-budget context (sql/postgres/recent_context.sql).
--
-- messages_context_start finds where the context starts: the first unpinned
-- message whose tokens_before reaches total_tokens - budget, in one descent.
-- messages_pinned finds the pinned messages before that point without reading
-- the unpinned ones.
--
-- Built CONCURRENTLY (so writes go on while it builds), which cannot run in a
-- transaction. If a build fails it leaves an INVALID index behind: drop it
-- (DROP INDEX CONCURRENTLY messages_context_start) and migrate again.
-- transactional: false
-- depends: pg_0002_pinned_and_message_count

CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_context_start
    ON messages (conversation_id, tokens_before, seq) WHERE NOT pinned;

CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_pinned
    ON messages (conversation_id, seq) WHERE pinned;
