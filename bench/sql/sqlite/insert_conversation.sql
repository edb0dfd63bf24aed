-- Bulk load for the benchmark's data: an empty conversation; the
-- messages_advance_conversation trigger fills in its totals as messages arrive.
-- :id  :user_id  :title  :created_at
-- Index: conversations primary key, conversations_user_recent.
INSERT INTO conversations (id, user_id, title, created_at, updated_at)
VALUES (:id, :user_id, :title, :created_at, :created_at);
