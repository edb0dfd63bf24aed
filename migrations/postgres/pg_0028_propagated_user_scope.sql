-- The transaction-local user scope by a SET LOCAL statement, which Citus
-- passes on to its workers (issue 18).
--
-- A session that claimed no scope key (a connection through a
-- transaction-pooling proxy, psql, a reporting tool, and every session on a
-- Citus coordinator) names its user to the row-level security policies by the
-- transaction-local setting convstore.user_id (pg_0006, pg_0010). It was set
-- with set_config(), which Citus does not pass on: the workers, where the
-- policies of a distributed table's shards are checked, never saw it, so they
-- showed every user's rows. Citus passes on SET LOCAL (of a setting it deems
-- safe, such as this one) to every worker the transaction uses, when
-- citus.propagate_set_commands is 'local' (Citus's
-- commands/variableset.c, ShouldPropagateSetCommand), from a function too.
-- SET takes no bound parameter, so this function quotes the value (%L).
--
-- On plain PostgreSQL the effect is that of set_config(..., true); the
-- citus.propagate_set_commands placeholder it sets is read by nothing.
-- Not SECURITY DEFINER and without a SET clause of its own: either would end
-- the SET LOCAL with the function.
-- depends: pg_0027_search_vector_within_its_limit

CREATE OR REPLACE FUNCTION convstore_set_local_user_scope(scoped_user_id text) RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    SET LOCAL citus.propagate_set_commands = 'local';
    EXECUTE format('SET LOCAL convstore.user_id = %L', coalesce(scoped_user_id, ''));
    RETURN scoped_user_id;
END
$$;
