-- Records a new branch's ancestors: its parent (depth 1), whose own messages
-- after the parent's fork point and through :fork_seq it shows, and each of
-- the parent's ancestors one level deeper, cut at :fork_seq.
-- :branch_id        the new branch
-- :parent_id        the conversation it was forked from
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :fork_seq         the last seq the branch shares
-- :tokens_through   the branch's running total after :fork_seq (fork_point.sql)
-- Index: conversations primary key, conversation_ancestors primary key.
-- Raises each ancestor's shared_through_bound to what the branch shares of
-- its messages (migration pg_0031).
WITH recorded AS (
    INSERT INTO conversation_ancestors (conversation_id, ancestor_id, user_id, depth,
                                        after_seq, through_seq, tokens_through)
    SELECT :branch_id::uuid, c.id, c.user_id, 1, coalesce(c.fork_seq, 0), :fork_seq::bigint,
           :tokens_through::bigint
      FROM conversations AS c
     WHERE c.id = :parent_id
       AND (:user_id::text IS NULL OR c.user_id = :user_id)
    UNION ALL
    SELECT :branch_id::uuid, a.ancestor_id, a.user_id, a.depth + 1, a.after_seq,
           least(a.through_seq, :fork_seq::bigint),
           CASE WHEN :fork_seq::bigint < a.through_seq THEN :tokens_through::bigint
                ELSE a.tokens_through END
      FROM conversation_ancestors AS a
     WHERE a.conversation_id = :parent_id
       AND (:user_id::text IS NULL OR a.user_id = :user_id)
    RETURNING ancestor_id, through_seq
)
UPDATE conversations AS c
   SET shared_through_bound = greatest(c.shared_through_bound, r.through_seq)
  FROM recorded AS r
 WHERE c.id = r.ancestor_id
   AND c.shared_through_bound < r.through_seq;  -- no new row version when it holds
