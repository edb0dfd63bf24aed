-- Distribution on Citus: drops the rows a table held before it was
-- distributed from the coordinator's local table; its shards hold their copy
-- (Citus's truncate_local_data_after_distributing_table, which
-- create_distributed_table's notice asks for). Without it they would take their
-- space for ever, unread.
-- :table_name  the table, distributed or a reference table
-- Index: none.
SELECT truncate_local_data_after_distributing_table(:table_name::regclass) AS truncated;
