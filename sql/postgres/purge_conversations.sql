-- Deletes up to :batch_size of the conversations with no activity since
-- :cutoff, oldest first, with their messages (by cascade); returns each deleted
-- conversation's id, the number of messages it stored (not those it shared
-- as a branch) and its parent. A conversation with branches waits until they
-- are deleted: branches go first, and a parent whose last branch a batch
-- deleted can go in the next. Run it until it deletes fewer than :batch_size
-- and no branch: each batch is a short transaction, so the table is never
-- locked for long.
-- The candidates are locked as they are chosen, and a locked one is skipped:
-- a conversation whose row is locked is being written to, so it is not
-- inactive. Locking also re-reads each candidate's newest version and tests
-- its age again, so a conversation that an append revived after this
-- statement's snapshot is skipped too. Without that, the DELETE would wait for
-- the appender's lock and then delete the row anyway: on an updated row
-- PostgreSQL re-evaluates only the outer WHERE, not the subquery's age test.
-- Skipping (rather than waiting and re-testing the age in the outer WHERE)
-- also keeps every batch full while candidates remain, so a short batch still
-- means that none are left, and the purge never waits for a writer.
-- :cutoff      an ISO 8601 timestamp with a time zone
-- :batch_size  how many conversations at most
-- A fork of a candidate committed after this statement's snapshot is not
-- seen by its NOT EXISTS: the branch's foreign key then refuses the whole
-- statement (nothing is deleted; run it again). The store instead locks the
-- candidates first (lock_purge_candidates.sql) and deletes exactly those
-- (purge_listed_conversations.sql), whose snapshot is taken after the locks.
-- Index: conversations_updated_at (updated_at); conversations_branches (is it a
--        parent?); messages primary key for the cascade.
DELETE FROM conversations
 WHERE id IN (SELECT id
                FROM conversations
               WHERE updated_at < :cutoff::timestamptz
                 AND NOT EXISTS (SELECT 1
                                   FROM conversations AS branch
                                  WHERE branch.parent_id = conversations.id)
               ORDER BY updated_at
               LIMIT :batch_size
                 FOR UPDATE SKIP LOCKED)
RETURNING id, message_count - inherited_messages AS message_count, parent_id;
