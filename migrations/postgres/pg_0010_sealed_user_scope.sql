-- A message belongs to its conversation's owner, and a user scope that SQL run
-- on the connection cannot widen.
--
-- 1. messages_conversation_owner: (conversation_id, user_id) references the
--    conversation's (id, user_id), so no statement, whatever its role, attaches
--    a message to another user's conversation, and a conversation's owner
--    cannot change while it has messages. Added NOT VALID (no scan under the
--    lock); the next migration validates the existing rows.
--
-- 2. Row-level security keyed on the server session, not on a setting.
--    The policies of pg_0006 trusted the setting convstore.user_id, which any
--    SQL on the connection can change. Now a convstore connection claims, once
--    and before any other statement, a random key for its server session
--    (convstore_claim_scope_key); the session's scope lives in
--    convstore_session_scopes, which only the tables' owner can read or write,
--    and changes only through convstore_set_user_scope with that key. The
--    scope is session-level and committed before a user-scoped block starts,
--    so neither set_config, RESET, COMMIT nor ROLLBACK inside the block widens
--    it. A session that claimed no key (psql, a reporting tool, a connection
--    through a transaction-pooling proxy) keeps the old behaviour: the
--    transaction-local setting convstore.user_id, if set, limits it.
--    FORCE makes the policies apply to the tables' owner too (the owner can
--    still drop them: run applications as another role).
-- depends: pg_0009_conversation_owner_key

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'messages_conversation_owner') THEN
        ALTER TABLE messages
            ADD CONSTRAINT messages_conversation_owner
            FOREIGN KEY (conversation_id, user_id) REFERENCES conversations (id, user_id)
            ON DELETE CASCADE NOT VALID;
    END IF;
END
$$;

-- One row per server session that claimed a key; user_id NULL: every user.
-- A session is told apart from an ended one that had the same pid by what it
-- cannot change and the functions below (running as the tables' owner) can
-- read: its client port, its login role and, where the owner may see it
-- (superuser, pg_read_all_stats), its start time.
-- Unlogged: sessions do not survive a restart either.
CREATE UNLOGGED TABLE IF NOT EXISTS convstore_session_scopes (
    backend_pid    integer     PRIMARY KEY,
    client_port    integer,
    login_role     text        NOT NULL,
    backend_start  timestamptz,
    key_sha256     bytea       NOT NULL,
    user_id        text
);
REVOKE ALL ON convstore_session_scopes FROM PUBLIC;

-- This session's row, if it claimed one.
CREATE OR REPLACE FUNCTION convstore_this_session() RETURNS SETOF convstore_session_scopes
LANGUAGE sql STABLE SECURITY DEFINER
AS $$
    SELECT s.*
      FROM convstore_session_scopes AS s
     WHERE s.backend_pid = pg_backend_pid()
       AND s.client_port IS NOT DISTINCT FROM inet_client_port()
       AND s.login_role = session_user
       AND s.backend_start IS NOT DISTINCT FROM
           (SELECT a.backend_start FROM pg_stat_get_activity(pg_backend_pid()) AS a)
$$;

-- Claims a scope key for this server session and returns it; refused if the
-- session already has one, so SQL run later on the session cannot obtain it.
CREATE OR REPLACE FUNCTION convstore_claim_scope_key() RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
AS $$
DECLARE
    scope_key text := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
BEGIN
    IF EXISTS (SELECT 1 FROM convstore_this_session()) THEN
        RAISE EXCEPTION 'this session already claimed its convstore scope key'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Rows of ended sessions (this pid's included: it is not this session's).
    DELETE FROM convstore_session_scopes AS s
     WHERE s.backend_pid = pg_backend_pid()
        OR s.backend_pid NOT IN (SELECT pid FROM pg_stat_get_activity(NULL) WHERE pid IS NOT NULL);
    INSERT INTO convstore_session_scopes
           (backend_pid, client_port, login_role, backend_start, key_sha256)
    VALUES (pg_backend_pid(), inet_client_port(), session_user,
            (SELECT a.backend_start FROM pg_stat_get_activity(pg_backend_pid()) AS a),
            sha256(convert_to(scope_key, 'UTF8')));
    RETURN scope_key;
END
$$;

-- Sets this session's scope (NULL: every user) and returns the previous one;
-- refused without the session's key.
CREATE OR REPLACE FUNCTION convstore_set_user_scope(scope_key text, scoped_user_id text)
RETURNS TABLE (previous_user_id text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
AS $$
DECLARE
    previous text;
BEGIN
    SELECT s.user_id INTO previous
      FROM convstore_this_session() AS s
     WHERE s.key_sha256 = sha256(convert_to(scope_key, 'UTF8'));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wrong or unclaimed convstore scope key for this session'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE convstore_session_scopes AS s
       SET user_id = scoped_user_id
     WHERE s.backend_pid = pg_backend_pid();
    RETURN QUERY SELECT previous;
END
$$;

-- The user this session is limited to, or NULL for every user. A session
-- that claimed a key answers from its row; any other from the
-- transaction-local setting convstore.user_id.
CREATE OR REPLACE FUNCTION convstore_scoped_user() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
AS $$
    SELECT CASE WHEN s.backend_pid IS NOT NULL THEN s.user_id
                ELSE nullif(current_setting('convstore.user_id', true), '') END
      FROM (SELECT 1) AS one
      LEFT JOIN convstore_this_session() AS s ON true
$$;

-- Security-definer functions must not find a caller's objects first: pin the
-- schema of these tables, with pg_temp (where any session can create a table
-- named like convstore_session_scopes) searched last.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION convstore_claim_scope_key() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION convstore_set_user_scope(text, text) SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION convstore_scoped_user() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION convstore_this_session() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
END
$$;

ALTER TABLE conversations FORCE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;

-- The scope is looked up once per statement (an InitPlan).
DROP POLICY IF EXISTS conversations_of_the_scoped_user ON conversations;
CREATE POLICY conversations_of_the_scoped_user ON conversations
    USING (user_id = coalesce((SELECT convstore_scoped_user()), user_id))
    WITH CHECK (user_id = coalesce((SELECT convstore_scoped_user()), user_id));

DROP POLICY IF EXISTS messages_of_the_scoped_user ON messages;
CREATE POLICY messages_of_the_scoped_user ON messages
    USING (user_id = coalesce((SELECT convstore_scoped_user()), user_id))
    WITH CHECK (user_id = coalesce((SELECT convstore_scoped_user()), user_id));
