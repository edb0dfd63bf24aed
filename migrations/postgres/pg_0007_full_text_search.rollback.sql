ALTER TABLE messages DROP COLUMN IF EXISTS search_vector;
