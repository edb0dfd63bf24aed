-- A conversation's branches (those forked from it, not their own branches),
-- by fork point, then oldest first.
-- :conversation_id  the parent
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations_branches (parent_id, fork_seq).
SELECT id AS conversation_id, parent_id, fork_seq, title, metadata, created_at,
       updated_at, message_count
  FROM conversations
 WHERE parent_id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id)
 ORDER BY fork_seq, created_at, id;
