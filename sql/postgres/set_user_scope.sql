-- Names the user whose rows this transaction may see to the row-level security
-- policies, on a session that claimed no scope key (a connection through a
-- transaction-pooling proxy, psql, a reporting tool, a Citus coordinator): the
-- transaction-local setting convstore.user_id, set by SET LOCAL so that Citus
-- passes it on to its workers (migration pg_0028). Any SQL in the transaction
-- can change it, so it guards against mistakes, not against hostile SQL (see
-- set_session_user_scope.sql). It ends with the transaction, so a pooled
-- connection never carries it to another user. Returns the previous value.
-- :user_id  the only owner whose conversations and messages are visible, or
--           NULL for every owner
-- Index: none.
SELECT previous.user_id AS previous_user_id,
       convstore_set_local_user_scope(:user_id) AS user_id
  FROM (SELECT nullif(current_setting('convstore.user_id', true), '') AS user_id
        OFFSET 0) AS previous;
