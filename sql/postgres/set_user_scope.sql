-- Names the user whose rows this transaction may see to the row-level security
-- policies (migration pg_0006_row_level_security). Transaction-local: it ends
-- with the transaction, so a pooled connection never carries it to another user.
-- :user_id  the only owner whose conversations and messages are visible
-- Index: none.
SELECT set_config('convstore.user_id', :user_id, true) AS user_id;
