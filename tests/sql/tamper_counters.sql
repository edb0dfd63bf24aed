-- Changes a copied conversation's counters behind convstore's back, leaving its
-- messages as they are, so the tests can check that the transfer's
-- verification notices.
-- :conversation_id  the conversation
-- Index: conversations primary key.
UPDATE conversations
   SET total_tokens = total_tokens + 1
 WHERE id = :conversation_id;
