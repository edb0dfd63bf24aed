-- Distribution on Citus: distributes a table by hash of :distribution_column,
-- its shards placed with those of :colocate_with (NULL: the first table of a
-- new group), so that the rows of one conversation, in every table, are on
-- one shard and a per-conversation statement runs on that shard alone. Rows
-- the table held are copied into its shards (Citus's create_distributed_table).
-- :table_name           the table
-- :distribution_column  its column that names the conversation
-- :colocate_with        the table whose shards it shares, or NULL
-- Index: none.
SELECT create_distributed_table(:table_name::regclass, :distribution_column,
                                colocate_with => coalesce(:colocate_with, 'none')) AS distributed;
