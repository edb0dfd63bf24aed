-- Transfer, source side (SQLite): the next page of branches, each after its
-- parent (by depth: a branch's parent is a root or a branch one level up),
-- in the columns of source_conversations.sql and its branch_depth, which the
-- transfer pages by and does not copy.
-- :after_depth   branch_depth of the last branch of the previous page (0 for the first)
-- :after_id      its id ('' for the first page)
-- :limit         the page size
-- :order_offset  added to activity_order, as source_conversations.sql does
-- Index: conversations_branches (the branches), conversation_ancestors primary
--        key (each one's depth); every branch is read and sorted for each page.
WITH branches AS (
    SELECT c.*,
           (SELECT count(*)
              FROM conversation_ancestors AS a
             WHERE a.conversation_id = c.id) AS branch_depth
      FROM conversations AS c
     WHERE c.parent_id IS NOT NULL
)
SELECT id, user_id, title, metadata AS metadata_json,
       created_at AS created_at_text, updated_at AS updated_at_text,
       last_seq, message_count, total_tokens, pinned_tokens,
       activity_order + :order_offset AS activity_order,
       parent_id, fork_seq, inherited_messages, active_branch_id, extra AS extra_json,
       branch_depth
  FROM branches
 WHERE (branch_depth, id) > (:after_depth, :after_id)
 ORDER BY branch_depth, id
 LIMIT :limit;
