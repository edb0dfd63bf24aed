-- Test only: a conversation's first message written before the latest
-- migrations (by the columns every schema version has).
-- :conversation_id  the conversation
-- :user_id          its owner
-- :content          the text
INSERT INTO messages (conversation_id, seq, user_id, role, content, tokens_before)
VALUES (:conversation_id, 1, :user_id, 'user', :content, 0);
