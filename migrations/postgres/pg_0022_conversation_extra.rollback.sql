-- Keeps every conversation; the fields kept in extra are lost.
ALTER TABLE conversations
    DROP CONSTRAINT IF EXISTS conversations_extra_shape,
    DROP COLUMN IF EXISTS extra;
