-- Deletes the listed conversations (the ones lock_purge_candidates.sql
-- locked, in this transaction) that still have no branch, with their
-- messages (by cascade); returns each deleted conversation's id, the number
-- of messages it stored, its parent and its owner. Its snapshot is taken after the
-- locks, so it sees a branch that a concurrent fork committed meanwhile, and
-- keeps that fork's parent; a fork started after the locks waits for them.
-- :ids  a JSON array of conversation ids
-- Index: conversations primary key; conversations_branches.
-- The branches are looked up by the listed ids, not per deleted row: Citus
-- runs that subquery once on every shard (parent_id is not the distribution
-- column), which it does not do for a correlated one.
DELETE FROM conversations
 WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text(:ids::jsonb) AS ids(value))
   AND id NOT IN (SELECT branch.parent_id
                    FROM conversations AS branch
                   WHERE branch.parent_id IN (SELECT value::uuid
                                                FROM jsonb_array_elements_text(:ids::jsonb)
                                                     AS ids(value)))
RETURNING id, message_count - inherited_messages AS message_count, parent_id, user_id;
