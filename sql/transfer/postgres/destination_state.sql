-- Transfer, destination side (PostgreSQL): which of some conversations are
-- there already, whose they are (the same id under another owner is another
-- user's conversation, never written to) and up to which seq.
-- :ids  a JSON array of conversation ids
-- Index: conversations primary key.
SELECT id, user_id, last_seq, active_branch_id
  FROM conversations
 WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text(:ids::jsonb) AS ids(value));
