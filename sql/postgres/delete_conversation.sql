-- Deletes a conversation and (by cascade) its messages; returns its id and
-- owner if it existed.
-- A conversation with branches is not deleted: their foreign keys refuse it
-- (delete_conversation_tree.sql deletes it with them).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key; messages primary key for the cascade.
DELETE FROM conversations
 WHERE id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id)
RETURNING id, user_id;
