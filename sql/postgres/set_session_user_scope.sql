-- Limits this server session to one user's conversations and messages, or
-- lifts the limit, and returns the previous scope (migration
-- pg_0010_sealed_user_scope). Session-level: run outside a transaction it is
-- committed before the caller's statements, which cannot undo it (COMMIT,
-- ROLLBACK, set_config and RESET leave it as it is); refused without the key
-- this session claimed (claim_scope_key.sql).
-- :scope_key  the key returned by claim_scope_key on this session
-- :user_id    the only owner whose rows are visible, or NULL for every owner
-- Index: convstore_session_scopes primary key (backend_pid).
SELECT previous_user_id
  FROM convstore_set_user_scope(:scope_key, :user_id);
