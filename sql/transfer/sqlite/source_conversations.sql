-- Transfer, source side (SQLite): the next page of root conversations (not
-- branches: source_branches.sql reads those after every root) in id order,
-- with their counters, timestamps, metadata and extra as stored (text), place
-- in the order of writes and active branch, in the order of the columns of
-- COPY conversations (sql/postgres/transfer/copy_conversations.sql), so each
-- row is sent as it is.
-- :after_id      the last id of the previous page ('' for the first)
-- :limit         the page size
-- :order_offset  added to activity_order: where the destination places the
--                copied rows in its order of writes
-- Index: conversations primary key.
SELECT id, user_id, title, metadata AS metadata_json,
       created_at AS created_at_text, updated_at AS updated_at_text,
       last_seq, message_count, total_tokens, pinned_tokens,
       activity_order + :order_offset AS activity_order,
       parent_id, fork_seq, inherited_messages, active_branch_id, extra AS extra_json
  FROM conversations
 WHERE id > :after_id
   AND parent_id IS NULL
 ORDER BY id
 LIMIT :limit;
