-- Makes :conversation_id the active branch of its tree (what a client shows,
-- as ChatGPT's current_node): recorded on the tree's root, NULL meaning the
-- root itself. Returns the root's id; no row if the conversation does not exist.
-- :conversation_id  the branch (or root) to show
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversation_ancestors primary key, conversations primary key.
UPDATE conversations
   SET active_branch_id = CASE WHEN conversations.id = :conversation_id THEN NULL
                               ELSE :conversation_id END
 WHERE conversations.id = coalesce((SELECT a.ancestor_id
                             FROM conversation_ancestors AS a
                            WHERE a.conversation_id = :conversation_id
                            ORDER BY a.depth DESC
                            LIMIT 1),
                           (SELECT c.id FROM conversations AS c WHERE c.id = :conversation_id))
   AND (:user_id IS NULL OR conversations.user_id = :user_id)
RETURNING conversations.id;
