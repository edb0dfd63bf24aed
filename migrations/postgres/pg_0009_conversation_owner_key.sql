-- conversations_id_owner: (id, user_id) as a key, so that a message's
-- (conversation_id, user_id) can reference it (next migration): a message can
-- then never belong to a user other than its conversation's owner. Built
-- CONCURRENTLY (writes go on meanwhile), which cannot run in a transaction; a
-- failed build leaves an INVALID index: drop it and migrate again.
-- transactional: false
-- depends: pg_0008_search_index

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS conversations_id_owner
    ON conversations (id, user_id);
