-- Distribution on Citus: makes a table a reference table, a copy on every node,
-- so that tables distributed by conversation can reference it by a foreign key
-- (message_attachments references attachments by (user_id, sha256)). Rows the
-- table held are copied (Citus's create_reference_table).
-- :table_name  the table
-- Index: none.
SELECT create_reference_table(:table_name::regclass) AS referenced;
