-- Transfer, destination side (PostgreSQL): a conversation copied before whose
-- source has grown since: take the source's counters, activity time and place
-- in the order of writes.
-- :id  :updated_at  :last_seq  :message_count  :total_tokens  :pinned_tokens
-- :activity_order
-- Index: conversations primary key.
UPDATE conversations
   SET updated_at = :updated_at::timestamptz,
       last_seq = :last_seq,
       message_count = :message_count,
       total_tokens = :total_tokens,
       pinned_tokens = :pinned_tokens,
       activity_order = greatest(activity_order, :activity_order)
 WHERE id = :id;
