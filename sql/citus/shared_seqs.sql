-- Citus's version of sql/postgres/shared_seqs.sql (same row):
-- convstore_shared_seqs reads the conversation's row on its shard and, only
-- when a branch ever shared its messages (shared_through_bound, migration
-- pg_0031), looks for the branches that do on every shard; as one statement,
-- Citus would ask every shard each time.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key; conversation_ancestors_by_ancestor on
--        every shard, when a branch ever shared its messages.
SELECT fork_seq, shared_through
  FROM convstore_shared_seqs(:conversation_id, :user_id);
