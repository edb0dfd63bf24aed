-- Claims this server session's user-scope key (migration
-- pg_0010_sealed_user_scope) and returns it: convstore runs it once on every
-- new pooled connection, before anything else, and keeps the key in memory.
-- A second claim on the same session is refused, so SQL run later on the
-- session cannot obtain the key.
-- Index: convstore_session_scopes primary key (backend_pid).
SELECT convstore_claim_scope_key() AS scope_key;
