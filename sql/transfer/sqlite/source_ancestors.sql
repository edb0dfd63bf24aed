-- Transfer, source side (SQLite): the ancestry of some branches (which
-- ancestor's messages each shows), in the order of the columns of COPY
-- conversation_ancestors (sql/postgres/transfer/copy_conversation_ancestors.sql).
-- :ids  a JSON array of conversation ids
-- Index: conversation_ancestors primary key.
SELECT a.conversation_id, a.ancestor_id, a.user_id, a.depth, a.after_seq, a.through_seq,
       a.tokens_through
  FROM json_each(:ids) AS ids
  JOIN conversation_ancestors AS a ON a.conversation_id = ids.value
 ORDER BY a.conversation_id, a.depth;
