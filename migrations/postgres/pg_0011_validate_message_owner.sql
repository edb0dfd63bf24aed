-- Checks the existing messages against messages_conversation_owner (added NOT
-- VALID by the previous migration). Validation scans messages under a lock
-- that lets reads and writes go on; it fails, naming a row, if a message's
-- user_id differs from its conversation's owner (impossible through convstore;
-- repair such rows first). Then the foreign key on conversation_id alone goes:
-- the new one implies it (same cascade), and each inserted message would pay
-- for both checks.
-- transactional: false
-- depends: pg_0010_sealed_user_scope

ALTER TABLE messages VALIDATE CONSTRAINT messages_conversation_owner;

ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_conversation_id_fkey;
