-- Names the user whose rows this transaction may see to the row-level security
-- policies, on a session that claimed no scope key (a connection through a
-- transaction-pooling proxy, psql, a reporting tool): the transaction-local
-- setting convstore.user_id. Any SQL in the transaction can change it, so it
-- guards against mistakes, not against hostile SQL (see
-- set_session_user_scope.sql). It ends with the transaction, so a pooled
-- connection never carries it to another user. Returns the previous value.
-- :user_id  the only owner whose conversations and messages are visible, or
--           NULL for every owner
-- Index: none.
SELECT previous.user_id AS previous_user_id,
       set_config('convstore.user_id', coalesce(:user_id, ''), true) AS user_id
  FROM (SELECT nullif(current_setting('convstore.user_id', true), '') AS user_id
        OFFSET 0) AS previous;
