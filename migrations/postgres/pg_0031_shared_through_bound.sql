-- conversations.shared_through_bound: at least the last seq of a
-- conversation's own messages that a branch shares (shared_seqs.sql's
-- shared_through), so that changing or deleting a message of a conversation
-- no branch ever shared asks no more than its own row (issue 18). Raised by
-- create_branch_ancestors.sql (and a transfer's copied branches), never
-- lowered: a conversation whose branches were deleted keeps its bound, and
-- the exact value is looked up, among every branch, only when it is not 0.
--
-- Why: a conversation's branches are conversations of their own, which Citus
-- keeps on other shards, found by ancestor_id (not the distribution column);
-- without the bound every change of a stored message asked every shard.
-- Filled here from the branches that exist. Named constraint: Citus refuses
-- an unnamed one added to a distributed table.
-- depends: pg_0030_router_statements

ALTER TABLE conversations
    ADD COLUMN shared_through_bound bigint NOT NULL DEFAULT 0;

ALTER TABLE conversations
    ADD CONSTRAINT conversations_shared_through_bound CHECK (shared_through_bound >= 0);

UPDATE conversations AS c
   SET shared_through_bound = shared.through_seq
  FROM (SELECT ancestor_id, max(through_seq) AS through_seq
          FROM conversation_ancestors
         GROUP BY ancestor_id) AS shared
 WHERE c.id = shared.ancestor_id;

-- shared_seqs.sql as Citus runs it (sql/citus/shared_seqs.sql): the
-- conversation's row on its shard, then, only when its bound is not 0, its
-- branches on every shard. None if the conversation does not exist or
-- owner_id (when not NULL) does not own it.
CREATE OR REPLACE FUNCTION convstore_shared_seqs(of_conversation uuid, owner_id text)
RETURNS TABLE (fork_seq bigint, shared_through bigint)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    conversation record;
BEGIN
    SELECT coalesce(c.fork_seq, 0) AS fork_seq, c.shared_through_bound
      INTO conversation
      FROM conversations AS c
     WHERE c.id = of_conversation
       AND (owner_id IS NULL OR c.user_id = owner_id);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    fork_seq := conversation.fork_seq;
    shared_through := 0;
    IF conversation.shared_through_bound > 0 THEN
        SELECT coalesce(max(a.through_seq), 0)
          INTO shared_through
          FROM conversation_ancestors AS a
         WHERE a.ancestor_id = of_conversation;
    END IF;
    RETURN NEXT;
END
$$;
