-- Transfer, source side (SQLite): the next page of conversations in id order,
-- with their counters, timestamps, metadata as stored (text) and place in the
-- order of writes.
-- :after_id  the last id of the previous page ('' for the first)
-- :limit     the page size
-- Index: conversations primary key.
SELECT id, user_id, title, metadata AS metadata_json,
       created_at AS created_at_text, updated_at AS updated_at_text,
       last_seq, message_count, total_tokens, pinned_tokens, activity_order
  FROM conversations
 WHERE id > :after_id
 ORDER BY id
 LIMIT :limit;
