-- Inserts a message as another tool would, with only the columns it must
-- give (no write order, no convstore function), so the tests can check that
-- convstore's triggers number it and note it for search.
-- :conversation_id  the conversation
-- :user_id          its owner
-- :seq              the next seq
-- :content          the text
-- Index: messages primary key.
INSERT INTO messages (conversation_id, seq, user_id, role, content, tokens_before)
VALUES (:conversation_id, :seq, :user_id, 'user', :content, 0);
