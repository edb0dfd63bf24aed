-- Claims this server session's user-scope key (migration
-- pg_0010_sealed_user_scope) and returns it: convstore runs it once on every
-- new pooled connection, before anything else, and keeps the key in memory.
-- A second claim on the same session is refused, so SQL run later on the
-- session cannot obtain the key.
-- Returns NULL, claiming nothing, on a database with the Citus extension: the
-- session's scope lives on the coordinator, and the workers, which check the
-- policies of the distributed tables' shards, cannot read it; the session uses
-- the transaction-local scope of set_user_scope.sql, which reaches them.
-- Index: pg_extension_name_index; convstore_session_scopes primary key (backend_pid).
SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN NULL
            ELSE convstore_claim_scope_key()
       END AS scope_key;
