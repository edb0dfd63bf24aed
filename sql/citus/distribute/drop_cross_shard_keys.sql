-- Distribution on Citus: drops the two foreign keys Citus cannot keep between
-- shards, those from a branch to its parent (conversations_parent, pg_0019)
-- and to each ancestor (conversation_ancestors_ancestor): they reference
-- conversations by another column than its distribution column (id), and a
-- branch may live on another shard than its parent. Citus refuses such keys
-- ("cannot create foreign key constraint"). convstore's own calls keep both
-- rules (a branch is forked under its tree's lock, a conversation with
-- branches is deleted only with them); SQL of your own is no longer checked.
-- Every other foreign key holds: each is on conversation_id within one shard,
-- or references the reference table attachments.
-- Index: none.
DO $$
BEGIN
    ALTER TABLE conversations DROP CONSTRAINT IF EXISTS conversations_parent;
    ALTER TABLE conversation_ancestors DROP CONSTRAINT IF EXISTS conversation_ancestors_ancestor;
END
$$;
