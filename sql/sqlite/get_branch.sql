-- A conversation's place in its tree: its parent and fork point (NULL for a
-- root), its root and depth (0 for a root), and the root's active branch
-- (the root itself when none was chosen, or the chosen one was deleted). No
-- row if it does not exist.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key, conversation_ancestors primary key.
SELECT c.id AS conversation_id, c.parent_id, c.fork_seq,
       root.id AS root_id, coalesce(oldest.depth, 0) AS depth,
       coalesce((SELECT chosen.conversation_id
                   FROM conversation_ancestors AS chosen
                  WHERE chosen.conversation_id = root.active_branch_id
                    AND chosen.ancestor_id = root.id),
                root.id) AS active_branch_id
  FROM conversations AS c
  LEFT JOIN (SELECT ancestor_id, depth
               FROM conversation_ancestors
              WHERE conversation_id = :conversation_id
              ORDER BY depth DESC
              LIMIT 1) AS oldest ON 1
  JOIN conversations AS root ON root.id = coalesce(oldest.ancestor_id, c.id)
 WHERE c.id = :conversation_id
   AND (:user_id IS NULL OR c.user_id = :user_id);
