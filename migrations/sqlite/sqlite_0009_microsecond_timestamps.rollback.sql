DROP TRIGGER IF EXISTS messages_widen_created_at;
DROP TRIGGER IF EXISTS conversations_widen_new_updated_at;
DROP TRIGGER IF EXISTS conversations_widen_updated_at;
DROP TRIGGER IF EXISTS conversations_widen_created_at;

UPDATE conversations SET created_at = substr(created_at, 1, 23) || 'Z' WHERE length(created_at) = 27;
UPDATE conversations SET updated_at = substr(updated_at, 1, 23) || 'Z' WHERE length(updated_at) = 27;
UPDATE messages SET created_at = substr(created_at, 1, 23) || 'Z' WHERE length(created_at) = 27;
