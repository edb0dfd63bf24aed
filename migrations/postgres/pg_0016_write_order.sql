-- Write order: every "newest first" across conversations (listing, exact
-- search, metadata search, search ties) follows the order in which rows were
-- written, never a timestamp, which ties (clock_timestamp() has microseconds,
-- a batch shares one) and may disagree with the order of writes.
--
-- convstore_write_order() hands out the next value of one sequence: each new
-- conversation and message takes one (column defaults, so COPY and imports get
-- them too), and each append gives its conversation a new one
-- (activity_order). The function is SECURITY DEFINER so an application role
-- needs no privilege on the sequence (only the tables' privileges, as the
-- README says); its body is parsed now, so it names this sequence whatever
-- the caller's search_path.
--
-- Large tables: the columns are added without a default (a volatile default
-- would rewrite the tables under an exclusive lock), then given one; rows
-- written before this migration are filled in batches of 10,000, each
-- committed, with a value below every sequence value that keeps their old
-- order (microseconds of their timestamp - 2^62); the indexes are built
-- CONCURRENTLY. So this migration runs outside a transaction and every step
-- can run again: if it fails, migrate again. Rows written meanwhile by a
-- version without the default keep NULL, which sorts last.
-- transactional: false
-- depends: pg_0015_folded_search_index

CREATE SEQUENCE IF NOT EXISTS convstore_write_order AS bigint;

CREATE OR REPLACE FUNCTION convstore_write_order() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT nextval('convstore_write_order'::regclass);
END;

ALTER TABLE conversations ADD COLUMN IF NOT EXISTS activity_order bigint;
ALTER TABLE conversations ALTER COLUMN activity_order SET DEFAULT convstore_write_order();
ALTER TABLE messages ADD COLUMN IF NOT EXISTS write_order bigint;
ALTER TABLE messages ALTER COLUMN write_order SET DEFAULT convstore_write_order();

DO $$
DECLARE
    after_id uuid := '00000000-0000-0000-0000-000000000000';
BEGIN
    LOOP
        WITH chosen AS (
            SELECT id
              FROM conversations
             WHERE id > after_id
             ORDER BY id
             LIMIT 10000
        ), filled AS (
            UPDATE conversations AS c
               SET activity_order = (extract(epoch FROM c.updated_at) * 1000000)::bigint
                                    - 4611686018427387904
              FROM chosen
             WHERE c.id = chosen.id
               AND c.activity_order IS NULL
        )
        SELECT id INTO after_id FROM chosen ORDER BY id DESC LIMIT 1;
        EXIT WHEN NOT FOUND;
        COMMIT;
    END LOOP;
END $$;

DO $$
DECLARE
    after_conversation uuid := '00000000-0000-0000-0000-000000000000';
    after_seq bigint := 0;
BEGIN
    LOOP
        WITH chosen AS (
            SELECT conversation_id, seq
              FROM messages
             WHERE (conversation_id, seq) > (after_conversation, after_seq)
             ORDER BY conversation_id, seq
             LIMIT 10000
        ), filled AS (
            UPDATE messages AS m
               SET write_order = (extract(epoch FROM m.created_at) * 1000000)::bigint
                                 - 4611686018427387904
              FROM chosen
             WHERE m.conversation_id = chosen.conversation_id
               AND m.seq = chosen.seq
               AND m.write_order IS NULL
        )
        SELECT conversation_id, seq INTO after_conversation, after_seq
          FROM chosen
         ORDER BY conversation_id DESC, seq DESC
         LIMIT 1;
        EXIT WHEN NOT FOUND;
        COMMIT;
    END LOOP;
END $$;

-- list_conversations and conversations_by_metadata: a user's conversations,
-- most recently written to first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS conversations_user_activity
    ON conversations (user_id, activity_order DESC NULLS LAST, id DESC);

-- find_messages: a user's messages, newest written first, read until enough match.
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_user_write_order
    ON messages (user_id, write_order DESC NULLS LAST);
