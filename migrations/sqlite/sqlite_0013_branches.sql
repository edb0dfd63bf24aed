-- Branches: a conversation forked from another shares its parent's messages
-- 1..fork_seq without copying them, and stores only its own, whose seqs
-- continue after fork_seq (convstore's fork_conversation, edit_message,
-- regenerate). As on PostgreSQL (migration pg_0019_branches says more):
--
-- conversations.parent_id, fork_seq: the conversation it was forked from and
--   the last seq it shares; NULL for a root. A conversation with branches
--   cannot be deleted while they exist (the foreign key, checked at the end
--   of each statement, so one statement may delete a whole tree).
-- conversations.inherited_messages: how many of message_count are shared.
-- conversations.active_branch_id: on a root, the branch of its tree that a
--   client shows; NULL, or a branch since deleted: the root itself.
-- The counters of a branch count its whole history, inherited messages
-- included, and its messages' tokens_before continue from its fork point.
--
-- conversation_ancestors: one row per branch and ancestor (depth 1 = its
--   parent): the branch shows the ancestor's own messages after_seq < seq <=
--   through_seq, whose running totals end at tokens_through.
-- depends: sqlite_0012_langgraph_checkpoints

ALTER TABLE conversations ADD COLUMN parent_id TEXT REFERENCES conversations (id);
ALTER TABLE conversations ADD COLUMN fork_seq INTEGER CHECK (fork_seq >= 0);
ALTER TABLE conversations
    ADD COLUMN inherited_messages INTEGER NOT NULL DEFAULT 0 CHECK (inherited_messages >= 0);
ALTER TABLE conversations ADD COLUMN active_branch_id TEXT;

-- A conversation's branches (list_branches, and "has it branches?").
CREATE INDEX conversations_branches
    ON conversations (parent_id, fork_seq) WHERE parent_id IS NOT NULL;

CREATE TABLE conversation_ancestors (
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    ancestor_id     TEXT    NOT NULL REFERENCES conversations (id),
    user_id         TEXT    NOT NULL,
    depth           INTEGER NOT NULL CHECK (depth >= 1),
    after_seq       INTEGER NOT NULL CHECK (after_seq >= 0),
    through_seq     INTEGER NOT NULL CHECK (through_seq >= 0),
    tokens_through  INTEGER NOT NULL CHECK (tokens_through >= 0),
    PRIMARY KEY (conversation_id, ancestor_id)
) STRICT;

-- The branches that show an ancestor's message (search's shared_with, a
-- tree's members, the frozen part of a conversation).
CREATE INDEX conversation_ancestors_by_ancestor
    ON conversation_ancestors (ancestor_id, through_seq);
