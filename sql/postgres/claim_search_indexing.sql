-- Claims this transaction's turn to index a user's messages for search
-- (index_pending_search.sql, run next in the same transaction), if no other
-- session has it: true if claimed. Sessions indexing one user's messages take
-- turns, a batch each, instead of reading the same unindexed rows; one that
-- finds the turn taken tries again shortly, rather than wait here, where a
-- statement timeout would cut its wait short. The turn is a transaction-level
-- advisory lock, released at COMMIT or ROLLBACK; a batch holds it for a
-- bounded time (index_pending_search.sql's :max_bytes).
-- :user_id  whose messages
-- Index: none.
SELECT pg_try_advisory_xact_lock(
           hashtextextended('convstore search indexing ' || :user_id::text, 0)
       ) AS claimed;
