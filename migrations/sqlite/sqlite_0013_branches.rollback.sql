-- Forgets every branch's place in its tree: branches stay as conversations,
-- but lose the messages they shared (their own stay).
DROP TABLE IF EXISTS conversation_ancestors;
DROP INDEX IF EXISTS conversations_branches;
ALTER TABLE conversations DROP COLUMN active_branch_id;
ALTER TABLE conversations DROP COLUMN inherited_messages;
ALTER TABLE conversations DROP COLUMN fork_seq;
ALTER TABLE conversations DROP COLUMN parent_id;
