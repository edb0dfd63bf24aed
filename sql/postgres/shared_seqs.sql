-- Which of a conversation's seqs it cannot change: fork_seq, the last seq it
-- shares with its parent (0 for a root; those messages are the parent's),
-- and shared_through, the last seq of its own messages that a branch of it
-- shares (0 when none does; those are frozen while the branch exists). No row
-- if it does not exist. Run with the conversation locked, so no fork moves it.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: conversations primary key; conversation_ancestors_by_ancestor, only
--        when a branch ever shared its messages (shared_through_bound, which
--        is never below shared_through: migration pg_0031).
-- The subquery names the conversation by the parameter, not by c.id: Citus
-- runs it once on every shard (ancestor_id is not the distribution column),
-- which it does not do for a correlated one (sql/citus/shared_seqs.sql).
SELECT coalesce(c.fork_seq, 0) AS fork_seq,
       CASE WHEN c.shared_through_bound = 0 THEN 0
            ELSE coalesce((SELECT max(a.through_seq)
                             FROM conversation_ancestors AS a
                            WHERE a.ancestor_id = :conversation_id), 0)
       END AS shared_through
  FROM conversations AS c
 WHERE c.id = :conversation_id
   AND (:user_id::text IS NULL OR c.user_id = :user_id);
