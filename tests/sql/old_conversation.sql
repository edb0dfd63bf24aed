-- Test only: a conversation written before the latest migrations (by the
-- columns every schema version has).
-- :id       the conversation id
-- :user_id  its owner
INSERT INTO conversations (id, user_id, title) VALUES (:id, :user_id, 'old');
