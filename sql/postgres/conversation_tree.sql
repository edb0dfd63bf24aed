-- Every conversation of the tree that holds :conversation_id: its root
-- (depth 0) first, then the branches by depth, fork point and age. A
-- conversation without branches is a tree of one. No row if it does not exist.
-- :conversation_id  any conversation of the tree
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversation_ancestors primary key (the root), conversation_ancestors_by_ancestor
--        (its descendants), conversations primary key.
WITH root AS (
    SELECT coalesce((SELECT a.ancestor_id
                       FROM conversation_ancestors AS a
                      WHERE a.conversation_id = c.id
                      ORDER BY a.depth DESC
                      LIMIT 1), c.id) AS id
      FROM conversations AS c
     WHERE c.id = :conversation_id
       AND (:user_id::text IS NULL OR c.user_id = :user_id)
), members AS (
    SELECT id AS conversation_id, 0 AS depth
      FROM root
    UNION ALL
    SELECT a.conversation_id, a.depth
      FROM conversation_ancestors AS a
      JOIN root ON a.ancestor_id = root.id
)
SELECT c.id AS conversation_id, c.parent_id, c.fork_seq, m.depth, c.title, c.metadata,
       c.created_at, c.updated_at, c.message_count
  FROM members AS m
  JOIN conversations AS c ON c.id = m.conversation_id
 ORDER BY m.depth, c.fork_seq, c.created_at, c.id;
