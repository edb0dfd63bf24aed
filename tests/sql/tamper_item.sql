-- Changes what a copied item carries besides its content behind convstore's
-- back, so the tests can check that the transfer's verification compares it.
-- :conversation_id  the conversation
-- :seq              the item
-- :payload          a JSON object (text) to store instead, or NULL to keep it
-- :fingerprint      a fingerprint to store instead, or NULL to keep it
-- Index: messages primary key.
UPDATE messages
   SET payload = coalesce(:payload::jsonb, payload),
       fingerprint = coalesce(:fingerprint, fingerprint)
 WHERE conversation_id = :conversation_id
   AND seq = :seq;
