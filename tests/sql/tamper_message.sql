-- Changes a copied message behind convstore's back, so the tests can check
-- that the transfer's verification notices.
-- :conversation_id  the conversation
-- Index: messages primary key.
UPDATE messages
   SET content = 'tampered'
 WHERE conversation_id = :conversation_id
   AND seq = 1;
