-- The token-budget context's index descents no longer depend on the
-- planner's statistics. recent_context.sql finds where the context starts in
-- messages_context_start (conversation_id, tokens_before, seq) and the pinned
-- messages before it in messages_pinned (conversation_id, seq); but the
-- primary key (conversation_id, seq) serves the same seq ranges, and where the
-- statistics make conversations look small (many short ones beside one long
-- one) the planner may take it instead and read every message of the range.
-- Measured on such a table: the primary key's plan for the start cost 8.35
-- against the index's 8.33, a tie that statistics decide; a test run that
-- lost it read 3,360 rows to return 200 on a branch three forks deep.
--
-- The queries now bound seq as `seq + 0` (and order the start by it), an
-- expression the primary key cannot serve and these indexes hold, so that
-- any other plan must read all of the conversation's messages: on the same
-- table its cost rose to 19.08 against 8.34. PostgreSQL does not simplify
-- `seq + 0` away.
--
-- Built CONCURRENTLY (writes go on meanwhile), which cannot run in a
-- transaction; a failed build leaves an INVALID index: drop it and migrate
-- again. The old indexes are dropped once the new ones exist.
-- transactional: false
-- depends: pg_0025_pending_search_index

CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_context_descent
    ON messages (conversation_id, tokens_before, (seq + 0)) WHERE NOT pinned;

CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_pinned_descent
    ON messages (conversation_id, (seq + 0)) WHERE pinned;

DROP INDEX CONCURRENTLY IF EXISTS messages_context_start;

DROP INDEX CONCURRENTLY IF EXISTS messages_pinned;
