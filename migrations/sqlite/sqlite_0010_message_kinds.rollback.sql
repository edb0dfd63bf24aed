-- Keeps every row: items that were not chat messages then read as chat
-- messages of their role, and their payloads are lost.
ALTER TABLE messages DROP COLUMN fingerprint;
ALTER TABLE messages DROP COLUMN payload;
ALTER TABLE messages DROP COLUMN kind;
