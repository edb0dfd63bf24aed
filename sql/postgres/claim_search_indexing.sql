-- Waits for this transaction's turn to index a user's messages for search
-- (index_pending_search.sql, run next in the same transaction): sessions
-- indexing one user's messages take turns, a batch each, instead of reading
-- the same unindexed rows and skipping each other's. The turn is a
-- transaction-level advisory lock, released at COMMIT or ROLLBACK; a batch
-- holds it for a bounded time (index_pending_search.sql's :max_bytes).
-- :user_id  whose messages, or NULL for every user's
-- Index: none.
SELECT pg_advisory_xact_lock(
           hashtextextended('convstore search indexing ' || coalesce(:user_id::text, ''), 0)
       ) IS NULL AS claimed;
