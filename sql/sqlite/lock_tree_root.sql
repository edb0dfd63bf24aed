-- Returns the root of the tree of branches that holds a conversation (the
-- conversation itself when it is a root); no row if the conversation does
-- not exist. (PostgreSQL's version locks it; on SQLite the transaction's
-- write lock already keeps every other writer out.)
-- :conversation_id  any conversation of the tree
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversation_ancestors primary key, conversations primary key.
SELECT root.id
  FROM conversations AS root
 WHERE root.id = coalesce((SELECT a.ancestor_id
                             FROM conversation_ancestors AS a
                            WHERE a.conversation_id = :conversation_id
                            ORDER BY a.depth DESC
                            LIMIT 1),
                           :conversation_id)
   AND (:user_id IS NULL OR root.user_id = :user_id);
