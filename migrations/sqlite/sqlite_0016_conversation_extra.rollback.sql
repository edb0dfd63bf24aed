-- Keeps every conversation; the fields kept in extra are lost.
ALTER TABLE conversations DROP COLUMN extra;
