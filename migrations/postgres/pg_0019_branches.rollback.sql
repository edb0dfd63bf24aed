-- Forgets every branch's place in its tree: branches stay as conversations,
-- but lose the messages they shared (their own stay). Delete branches first
-- if that is not wanted.
DROP TABLE IF EXISTS conversation_ancestors;
DROP INDEX IF EXISTS conversations_branches;
ALTER TABLE conversations
    DROP CONSTRAINT IF EXISTS conversations_inherited_messages,
    DROP CONSTRAINT IF EXISTS conversations_fork_point,
    DROP CONSTRAINT IF EXISTS conversations_parent,
    DROP COLUMN IF EXISTS active_branch_id,
    DROP COLUMN IF EXISTS inherited_messages,
    DROP COLUMN IF EXISTS fork_seq,
    DROP COLUMN IF EXISTS parent_id;
