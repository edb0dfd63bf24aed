-- Branches: a conversation forked from another shares its parent's messages
-- 1..fork_seq without copying them, and stores only its own, whose seqs
-- continue after fork_seq (convstore's fork_conversation, edit_message,
-- regenerate).
--
-- conversations.parent_id, fork_seq: the conversation it was forked from and
--   the last seq it shares; NULL for a root. A branch has its parent's owner
--   (the foreign key holds user_id), and a conversation with branches cannot be
--   deleted while they exist (NO ACTION, checked at the end of the statement,
--   so one statement may delete a whole tree or a user's every conversation).
-- conversations.inherited_messages: how many of message_count are shared
--   (0 for a root), so message_count - inherited_messages is what it stores.
-- conversations.active_branch_id: on a root, the branch of its tree that a
--   client shows (ChatGPT's current_node); NULL, or a branch since deleted:
--   the root itself. (No foreign key: a transfer copies a root before its
--   branches, and reads check that the branch is still in the tree.)
-- The counters of a branch (last_seq, message_count, total_tokens,
-- pinned_tokens) count its whole history, inherited messages included, and
-- its messages' tokens_before continue from its fork point, so every read
-- and the token-budget context treat a branch as one conversation.
--
-- conversation_ancestors: one row per branch and ancestor (its parent, the
--   parent's parent ...; depth 1, 2 ...): the branch shows the ancestor's own
--   messages after_seq < seq <= through_seq (empty when after_seq >=
--   through_seq), whose running totals end at tokens_through (the branch's
--   running total after through_seq). Written once when the branch is forked.
--
-- Messages a branch shares are frozen: its parent cannot change or delete
-- them while the branch exists (the store refuses; editing one forks).
--
-- A distributed deployment (Citus, by conversation) accepts neither the
-- foreign keys between conversations nor reading an ancestor on another
-- shard in one statement: branches there wait for issue 18's distribution.
-- depends: pg_0018_langgraph_checkpoints

ALTER TABLE conversations
    ADD COLUMN IF NOT EXISTS parent_id uuid,
    ADD COLUMN IF NOT EXISTS fork_seq bigint,
    ADD COLUMN IF NOT EXISTS inherited_messages bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS active_branch_id uuid;

ALTER TABLE conversations
    ADD CONSTRAINT conversations_parent
        FOREIGN KEY (parent_id, user_id) REFERENCES conversations (id, user_id) NOT VALID,
    ADD CONSTRAINT conversations_fork_point
        CHECK ((parent_id IS NULL) = (fork_seq IS NULL) AND fork_seq >= 0) NOT VALID,
    ADD CONSTRAINT conversations_inherited_messages
        CHECK (inherited_messages >= 0) NOT VALID;

-- Every existing row has NULLs and 0: validating reads the table once, under a
-- lock that lets reads and writes go on.
ALTER TABLE conversations VALIDATE CONSTRAINT conversations_parent;
ALTER TABLE conversations VALIDATE CONSTRAINT conversations_fork_point;
ALTER TABLE conversations VALIDATE CONSTRAINT conversations_inherited_messages;

-- A conversation's branches (list_branches, and the deletion rules' "has it
-- branches?"); empty for a store without branches.
CREATE INDEX IF NOT EXISTS conversations_branches
    ON conversations (parent_id, fork_seq) WHERE parent_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS conversation_ancestors (
    conversation_id uuid   NOT NULL,
    ancestor_id     uuid   NOT NULL,
    user_id         text   NOT NULL,
    depth           bigint NOT NULL,
    after_seq       bigint NOT NULL,
    through_seq     bigint NOT NULL,
    tokens_through  bigint NOT NULL,
    CONSTRAINT conversation_ancestors_key PRIMARY KEY (conversation_id, ancestor_id),
    CONSTRAINT conversation_ancestors_branch
        FOREIGN KEY (conversation_id, user_id) REFERENCES conversations (id, user_id)
        ON DELETE CASCADE,
    -- Checked at commit: a statement deleting a tree deletes these rows by
    -- cascade from its branches, which runs after the check of its root.
    CONSTRAINT conversation_ancestors_ancestor
        FOREIGN KEY (ancestor_id, user_id) REFERENCES conversations (id, user_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT conversation_ancestors_depth CHECK (depth >= 1),
    CONSTRAINT conversation_ancestors_range CHECK (after_seq >= 0 AND through_seq >= 0),
    CONSTRAINT conversation_ancestors_tokens CHECK (tokens_through >= 0)
);

-- The branches that show an ancestor's message (search's shared_with, a
-- tree's members, the frozen part of a conversation).
CREATE INDEX IF NOT EXISTS conversation_ancestors_by_ancestor
    ON conversation_ancestors (ancestor_id, through_seq);

ALTER TABLE conversation_ancestors ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversation_ancestors FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS conversation_ancestors_of_the_scoped_user ON conversation_ancestors;
CREATE POLICY conversation_ancestors_of_the_scoped_user ON conversation_ancestors
    USING (user_id = coalesce((SELECT convstore_scoped_user()), user_id))
    WITH CHECK (user_id = coalesce((SELECT convstore_scoped_user()), user_id));
