-- Citus's version of sql/postgres/get_branch.sql (same row): a conversation's
-- place in its tree, read by convstore_conversation and convstore_tree_root,
-- each a router query, since the root is on a shard of its own (migration
-- pg_0030 says why). The active branch is one while its deepest ancestor is
-- the root (as the root is one of its ancestors).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key, conversation_ancestors primary key.
SELECT c.id AS conversation_id, c.parent_id, c.fork_seq, tree.root_id, tree.depth,
       CASE WHEN (SELECT chosen.root_id
                    FROM convstore_tree_root(root.active_branch_id) AS chosen) = root.id
            THEN root.active_branch_id
            ELSE root.id
       END AS active_branch_id
  FROM convstore_conversation(:conversation_id, :user_id) AS c
 CROSS JOIN LATERAL convstore_tree_root(c.id) AS tree
 CROSS JOIN LATERAL convstore_conversation(tree.root_id, NULL) AS root;
