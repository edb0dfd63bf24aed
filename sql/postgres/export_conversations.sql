-- The next page of a user's conversations active since :since, in the order
-- of writes (oldest activity first; a conversation last written by a version
-- before pg_0016 first of all), for export: imported in this order, they list
-- in the order they had. A branch has its parent_id and fork_seq (NULL for a root),
-- a root its active_branch_id (NULL: itself).
-- :user_id      whose conversations
-- :since        an ISO 8601 timestamp, or NULL for all
-- :after_order  export_order of the last conversation of the previous page
--               (NULL for the first page)
-- :after_id     id of that conversation
-- :limit        the page size
-- Index: conversations_user_activity finds the user's conversations, then they
-- are sorted (an export reads them all); conversation_ancestors primary key.
-- The page is taken first, then joined to its active branches: Citus refuses
-- the subquery per row (active_branch_id is not the distribution column) but
-- joins a CTE's rows to the shards that hold them.
WITH page AS MATERIALIZED (
    SELECT id, user_id, title, metadata, created_at, updated_at, parent_id, fork_seq, last_seq,
           extra, active_branch_id AS chosen_branch_id,
           coalesce(activity_order, -9223372036854775808) AS export_order
      FROM conversations
     WHERE user_id = :user_id
       AND (:since::timestamptz IS NULL OR updated_at >= :since::timestamptz)
       AND (:after_order::bigint IS NULL
            OR (coalesce(activity_order, -9223372036854775808), id)
               > (:after_order::bigint, :after_id::uuid))
     ORDER BY coalesce(activity_order, -9223372036854775808), id
     LIMIT :limit
)
SELECT p.id, p.user_id, p.title, p.metadata, p.created_at, p.updated_at, p.parent_id,
       p.fork_seq, p.last_seq, p.extra,
       a.conversation_id AS active_branch_id,  -- a root's active branch, while in the tree
       p.export_order
  FROM page AS p
  LEFT JOIN conversation_ancestors AS a
         ON a.conversation_id = p.chosen_branch_id
        AND a.ancestor_id = p.id
 ORDER BY p.export_order, p.id;
