-- Transfer, destination side (PostgreSQL): after copying branches' ancestors
-- (copy_conversation_ancestors.sql), raises each ancestor's
-- shared_through_bound to what the branches share of its messages, as
-- create_branch_ancestors.sql does for a fork (migration pg_0031).
-- :branch_ids  a JSON array of the copied branches' ids
-- Index: conversation_ancestors primary key (each branch's), conversations
--        primary key.
UPDATE conversations AS c
   SET shared_through_bound = greatest(c.shared_through_bound, shared.through_seq)
  FROM (SELECT a.ancestor_id, max(a.through_seq) AS through_seq
          FROM conversation_ancestors AS a
         WHERE a.conversation_id IN (SELECT value::uuid
                                       FROM jsonb_array_elements_text(:branch_ids::jsonb))
         GROUP BY a.ancestor_id) AS shared
 WHERE c.id = shared.ancestor_id
   AND c.shared_through_bound < shared.through_seq;
