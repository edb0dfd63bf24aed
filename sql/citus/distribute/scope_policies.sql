-- Distribution on Citus: the row-level security policies take the user from
-- the transaction-local setting convstore.user_id only. Citus refuses a
-- subquery in a distributed table's policy ("Subqueries are not supported in
-- policies on distributed tables"), and convstore's policies look the scope
-- up once per statement by one (`(SELECT convstore_scoped_user())`, pg_0010).
-- On Citus no session claims a scope key (claim_scope_key.sql), so the
-- setting, which SET LOCAL passes on to the workers (pg_0028), is the whole
-- scope there; read per row, current_setting() costs about as much as the
-- subquery's plan (measured: 34 ms against 17 ms for 200,000 rows), where a
-- call of convstore_scoped_user() per row took 15 s.
-- Safe to run again: every policy named <table>_of_the_scoped_user is set to
-- the same expression.
-- Index: none.
DO $$
DECLARE
    policy record;
    scoped text := 'user_id = coalesce(nullif(current_setting(''convstore.user_id'', true), ''''), user_id)';
BEGIN
    FOR policy IN
        SELECT tablename, policyname
          FROM pg_policies
         WHERE schemaname = current_schema()
           AND policyname = tablename || '_of_the_scoped_user'
    LOOP
        EXECUTE format('ALTER POLICY %I ON %I USING (%s) WITH CHECK (%s)',
                       policy.policyname, policy.tablename, scoped, scoped);
    END LOOP;
END
$$;
