-- The next page of a user's conversations active since :since, in the order
-- of writes (oldest activity first), for export: imported in this order, they
-- list in the order they had. A branch has its parent_id and fork_seq (NULL
-- for a root), a root its active_branch_id (NULL: itself).
-- :user_id      whose conversations
-- :since        a timestamp as SQLite stores it (UTC, 2026-11-25T13:38:38.123000Z;
--               convstore converts any ISO 8601 input), or NULL for all
-- :after_order  export_order of the last conversation of the previous page
--               (NULL for the first page)
-- :after_id     id of that conversation
-- :limit        the page size
-- Index: conversations_user_activity (user_id, activity_order, id).
SELECT id, user_id, title, metadata, created_at, updated_at, parent_id, fork_seq, last_seq, extra,
       (SELECT a.conversation_id  -- a root's active branch, while it is in the tree
          FROM conversation_ancestors AS a
         WHERE a.conversation_id = conversations.active_branch_id
           AND a.ancestor_id = conversations.id) AS active_branch_id,
       activity_order AS export_order
  FROM conversations
 WHERE user_id = :user_id
   AND (:since IS NULL OR updated_at >= :since)
   AND (:after_order IS NULL OR (activity_order, id) > (:after_order, :after_id))
 ORDER BY activity_order, id
 LIMIT :limit;
