-- Deletes a conversation and every branch forked from it, at any depth, with
-- their messages (and ancestry rows, by cascade), in one statement; returns
-- the ids deleted, each with its owner. Messages the branches shared are
-- their ancestors': those of this conversation go, those of its own
-- ancestors stay.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key; conversation_ancestors_by_ancestor.
DELETE FROM conversations
 WHERE (id = :conversation_id
        OR id IN (SELECT conversation_id
                    FROM conversation_ancestors
                   WHERE ancestor_id = :conversation_id))
   AND (:user_id::text IS NULL OR user_id = :user_id)
RETURNING id, user_id;
