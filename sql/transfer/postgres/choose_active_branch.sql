-- Transfer, destination side (PostgreSQL): a root copied before whose source
-- has chosen another active branch since: take the source's choice.
-- :id                the root
-- :active_branch_id  the branch its source shows (NULL: the root itself)
-- Index: conversations primary key.
UPDATE conversations
   SET active_branch_id = :active_branch_id
 WHERE id = :id;
