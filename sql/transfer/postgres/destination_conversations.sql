-- Transfer verification, destination side (PostgreSQL): some conversations'
-- owners, fields and counters, to compare with the source's (no row for one
-- that is missing).
-- :ids  a JSON array of conversation ids
-- Index: conversations primary key.
SELECT id, user_id, title, metadata, created_at, updated_at, last_seq, message_count,
       total_tokens, pinned_tokens, parent_id, fork_seq, active_branch_id, extra
  FROM conversations
 WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text(:ids::jsonb) AS ids(value));
