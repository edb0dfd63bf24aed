-- Deletes the listed conversations (lock_purge_candidates.sql's, in this
-- transaction) that still have no branch, with their messages (by cascade);
-- returns each deleted conversation's id, the number of messages it stored,
-- its parent and its owner.
-- :ids  a JSON array of conversation ids
-- Index: conversations primary key; conversations_branches.
DELETE FROM conversations
 WHERE id IN (SELECT value FROM json_each(:ids))
   AND NOT EXISTS (SELECT 1
                     FROM conversations AS branch
                    WHERE branch.parent_id = conversations.id)
RETURNING id, message_count - inherited_messages AS message_count, parent_id, user_id;
