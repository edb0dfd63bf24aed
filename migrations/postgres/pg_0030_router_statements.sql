-- Functions that read a conversation's history one segment at a time, each
-- read a statement of its own on one conversation, so that Citus routes every
-- one of them to the shard that holds it (issue 18); and functions that lock
-- or update rows one conversation at a time, which Citus needs for FOR UPDATE
-- and for an UPDATE whose row a subquery finds ("non-IMMUTABLE functions are
-- not allowed in CASE or COALESCE statements"). The queries of sql/citus/
-- (the Citus versions of sql/postgres/'s) call them; on plain PostgreSQL they
-- exist but sql/postgres/ does not use them.
--
-- Why functions: a branch's history is stored in its ancestors too, on other
-- shards, and Citus plans a join of messages to conversation_segments on
-- stored_in (not the distribution column) only if it can push the join down,
-- which a LATERAL ... LIMIT per segment prevents ("cannot push down this
-- subquery"); nor does it run FOR UPDATE on rows of several shards, or on a
-- row it cannot find the shard of before running ("could not run distributed
-- query with FOR UPDATE/SHARE commands"). A statement whose FROM names only
-- these functions runs on the coordinator, which plans each statement inside
-- as a router query with parameters. A SELECT that also names a distributed
-- table is routed, functions and all, to a worker, where Citus refuses the
-- nested queries ("cannot execute a distributed query from a query on a
-- shard"): the Citus versions name none, which is why convstore_conversation
-- exists. (An UPDATE's MATERIALIZED CTE that names no table runs on the
-- coordinator first: sql/citus/recount_conversation.sql.) PL/pgSQL, not SQL: PostgreSQL inlines a SQL
-- function's SELECT into the calling statement. SECURITY INVOKER (the
-- default): the tables' row-level security applies as to the caller.
-- depends: pg_0029_single_shard_append

-- A conversation's row; none if it does not exist or owner_id (when not
-- NULL) does not own it.
CREATE OR REPLACE FUNCTION convstore_conversation(of_conversation uuid, owner_id text)
RETURNS SETOF conversations
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN QUERY
    SELECT *
      FROM conversations AS c
     WHERE c.id = of_conversation
       AND (owner_id IS NULL OR c.user_id = owner_id);
END
$$;

-- The messages of a conversation's history (its own and those it shares with
-- its ancestors, each with the conversation_id it is stored under) with
-- lower_seq < seq <= upper_seq (NULL: unbounded), at most max_rows of them
-- (NULL: all), the oldest first or, with newest_first, the newest first;
-- none if owner_id (when not NULL) does not own the conversation. One query
-- for the segments, then one per segment, in order, until max_rows.
CREATE OR REPLACE FUNCTION convstore_conversation_messages(
    of_conversation uuid, owner_id text, lower_seq bigint, upper_seq bigint,
    newest_first boolean, max_rows bigint
) RETURNS SETOF messages
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    segment record;
    remaining bigint := coalesce(max_rows, 9223372036854775807);
    returned bigint;
BEGIN
    FOR segment IN
        SELECT s.stored_in,
               greatest(s.after_seq, lower_seq) AS above,
               least(s.through_seq, upper_seq) AS up_to
          FROM conversation_segments AS s
         WHERE s.conversation_id = of_conversation
           AND (owner_id IS NULL OR s.user_id = owner_id)
         ORDER BY CASE WHEN newest_first THEN -s.after_seq ELSE s.after_seq END
    LOOP
        EXIT WHEN remaining <= 0;
        CONTINUE WHEN segment.above >= segment.up_to;
        IF newest_first THEN
            RETURN QUERY
            SELECT *
              FROM messages AS m
             WHERE m.conversation_id = segment.stored_in
               AND m.seq > segment.above
               AND m.seq <= segment.up_to
             ORDER BY m.seq DESC
             LIMIT remaining;
        ELSE
            RETURN QUERY
            SELECT *
              FROM messages AS m
             WHERE m.conversation_id = segment.stored_in
               AND m.seq > segment.above
               AND m.seq <= segment.up_to
             ORDER BY m.seq
             LIMIT remaining;
        END IF;
        GET DIAGNOSTICS returned = ROW_COUNT;
        remaining := remaining - returned;
    END LOOP;
END
$$;

-- The pinned messages of a conversation's history with seq <= upper_seq
-- (NULL: all), oldest first, each with the conversation_id it is stored
-- under; none if owner_id (when not NULL) does not own the conversation.
-- Index: messages_pinned_descent, by `seq + 0` as recent_context.sql reads it.
CREATE OR REPLACE FUNCTION convstore_pinned_messages(
    of_conversation uuid, owner_id text, upper_seq bigint
) RETURNS SETOF messages
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    segment record;
BEGIN
    FOR segment IN
        SELECT s.stored_in, s.after_seq AS above, least(s.through_seq, upper_seq) AS up_to
          FROM conversation_segments AS s
         WHERE s.conversation_id = of_conversation
           AND (owner_id IS NULL OR s.user_id = owner_id)
         ORDER BY s.after_seq
    LOOP
        RETURN QUERY
        SELECT *
          FROM messages AS m
         WHERE m.conversation_id = segment.stored_in
           AND m.pinned
           AND m.seq + 0 > segment.above
           AND m.seq + 0 <= segment.up_to
         ORDER BY m.seq + 0;
    END LOOP;
END
$$;

-- recent_context.sql's messages (without suffix_tokens), each with the
-- conversation_id it is stored under: where the context starts, as
-- recent_context.sql finds it (the oldest unpinned message, not a tool result
-- with keep_tool_groups, from which the unpinned messages fit in max_tokens
-- beside every pinned one; none when only the pinned messages fit), then of
-- each segment the messages from there and the pinned ones before it. None if
-- the conversation does not exist or owner_id (when not NULL) does not own
-- it. The conversation's row and its segments are read once; segments are in
-- seq order, so the first one holding the start holds the oldest.
-- Index: messages_context_descent (the start), messages primary key (the
-- run), messages_pinned_descent (the pinned messages before it).
CREATE OR REPLACE FUNCTION convstore_context_messages(
    of_conversation uuid, owner_id text, max_tokens bigint, keep_tool_groups boolean
) RETURNS SETOF messages
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    budget record;
    -- The segments in seq order, a column each (Citus returns no array of a
    -- view's rows): stored_in, after_seq, through_seq, tokens_through.
    stored_in uuid[];
    after_seq bigint[];
    through_seq bigint[];
    tokens_through bigint[];
    start_seq bigint := 9223372036854775807;  -- nothing fits: only the pinned messages
    found_seq bigint;
BEGIN
    SELECT c.total_tokens - (max_tokens - c.pinned_tokens) AS start_at_or_after,
           max_tokens >= c.pinned_tokens AS any_unpinned_fits
      INTO budget
      FROM conversations AS c
     WHERE c.id = of_conversation
       AND (owner_id IS NULL OR c.user_id = owner_id);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT array_agg(s.stored_in ORDER BY s.after_seq), array_agg(s.after_seq ORDER BY s.after_seq),
           array_agg(s.through_seq ORDER BY s.after_seq),
           array_agg(s.tokens_through ORDER BY s.after_seq)
      INTO stored_in, after_seq, through_seq, tokens_through
      FROM conversation_segments AS s
     WHERE s.conversation_id = of_conversation;
    IF budget.any_unpinned_fits THEN
        FOR i IN 1 .. coalesce(array_length(stored_in, 1), 0) LOOP
            SELECT m.seq
              INTO found_seq
              FROM messages AS m
             WHERE m.conversation_id = stored_in[i]
               AND NOT m.pinned
               AND m.tokens_before >= budget.start_at_or_after
               AND m.tokens_before <= tokens_through[i]
               AND m.seq + 0 > after_seq[i]
               AND m.seq + 0 <= through_seq[i]
               AND (NOT keep_tool_groups OR m.role <> 'tool')
             ORDER BY m.tokens_before, m.seq + 0
             LIMIT 1;
            IF FOUND THEN
                start_seq := found_seq;
                EXIT;
            END IF;
        END LOOP;
    END IF;
    FOR i IN 1 .. coalesce(array_length(stored_in, 1), 0) LOOP
        IF after_seq[i] + 1 < start_seq THEN
            RETURN QUERY
            SELECT *
              FROM messages AS m
             WHERE m.conversation_id = stored_in[i]
               AND m.pinned
               AND m.seq + 0 > after_seq[i]
               AND m.seq + 0 < least(through_seq[i] + 1, start_seq);
        END IF;
        IF through_seq[i] >= start_seq THEN
            RETURN QUERY
            SELECT *
              FROM messages AS m
             WHERE m.conversation_id = stored_in[i]
               AND m.seq BETWEEN greatest(after_seq[i] + 1, start_seq) AND through_seq[i];
        END IF;
    END LOOP;
END
$$;

-- The root of the tree of branches that holds a conversation, and the
-- conversation's depth in it: its deepest ancestor, or the conversation
-- itself at depth 0 when it has none (whether or not it exists). One router
-- query, on the conversation's shard.
CREATE OR REPLACE FUNCTION convstore_tree_root(
    of_conversation uuid, OUT root_id uuid, OUT depth bigint
)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    SELECT a.ancestor_id, a.depth
      INTO root_id, depth
      FROM conversation_ancestors AS a
     WHERE a.conversation_id = of_conversation
     ORDER BY a.depth DESC
     LIMIT 1;
    IF NOT FOUND THEN
        root_id := of_conversation;
        depth := 0;
    END IF;
END
$$;

-- lock_tree_root.sql in two statements, each on one conversation: finds the
-- root of the tree that holds a conversation, then locks its row (FOR
-- UPDATE) and returns its id; none if the conversation does not exist or
-- owner_id (when not NULL) does not own the root.
CREATE OR REPLACE FUNCTION convstore_lock_tree_root(of_conversation uuid, owner_id text)
RETURNS SETOF uuid
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    tree_root uuid;
BEGIN
    SELECT t.root_id INTO tree_root FROM convstore_tree_root(of_conversation) AS t;
    RETURN QUERY
    SELECT c.id
      FROM conversations AS c
     WHERE c.id = tree_root
       AND (owner_id IS NULL OR c.user_id = owner_id)
       FOR UPDATE;
END
$$;

-- set_active_branch.sql in statements on one conversation each: records a
-- conversation as the active branch of its tree on the root (NULL for the
-- root itself) and returns the root's id; none if the conversation does not
-- exist or owner_id (when not NULL) does not own the root.
CREATE OR REPLACE FUNCTION convstore_set_active_branch(of_conversation uuid, owner_id text)
RETURNS SETOF uuid
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    tree_root uuid;
BEGIN
    SELECT t.root_id INTO tree_root FROM convstore_tree_root(of_conversation) AS t;
    IF tree_root = of_conversation THEN  -- a root, or no conversation
        PERFORM FROM conversations AS c WHERE c.id = of_conversation;
        IF NOT FOUND THEN
            RETURN;
        END IF;
    END IF;
    RETURN QUERY
    UPDATE conversations AS root
       SET active_branch_id = CASE WHEN root.id = of_conversation THEN NULL
                                   ELSE of_conversation END
     WHERE root.id = tree_root
       AND (owner_id IS NULL OR root.user_id = owner_id)
    RETURNING root.id;
END
$$;

-- lock_purge_candidates.sql one conversation at a time: of the conversations
-- with no activity since cutoff and no branches, oldest first, locks the
-- first batch_size that no other transaction holds (FOR UPDATE SKIP LOCKED,
-- each a router query) and returns their ids. The candidates are read a page
-- of batch_size at a time (every shard), the next page after the last
-- candidate, until the batch is full or none is left: a held one is passed
-- over, as PostgreSQL's statement passes over it, and a purge that finds a
-- short batch is done. A NULL batch_size, as LIMIT NULL, is every candidate.
CREATE OR REPLACE FUNCTION convstore_lock_purge_candidates(cutoff timestamptz, batch_size bigint)
RETURNS SETOF uuid
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    candidate record;
    locked bigint := 0;
    read bigint;
    after_updated_at timestamptz := '-infinity';
    after_id uuid := '00000000-0000-0000-0000-000000000000';
BEGIN
    LOOP
        read := 0;
        FOR candidate IN
            SELECT c.id, c.updated_at
              FROM conversations AS c
             WHERE c.updated_at < cutoff
               AND (c.updated_at, c.id) > (after_updated_at, after_id)
               AND c.id NOT IN (SELECT branch.parent_id
                                  FROM conversations AS branch
                                 WHERE branch.parent_id IS NOT NULL)
             ORDER BY c.updated_at, c.id
             LIMIT batch_size
        LOOP
            read := read + 1;
            after_updated_at := candidate.updated_at;
            after_id := candidate.id;
            RETURN QUERY
            SELECT c.id
              FROM conversations AS c
             WHERE c.id = candidate.id
               AND c.updated_at < cutoff
               FOR UPDATE SKIP LOCKED;
            IF FOUND THEN
                locked := locked + 1;
                EXIT WHEN locked >= batch_size;
            END IF;
        END LOOP;
        EXIT WHEN batch_size IS NULL OR locked >= batch_size OR read < batch_size;
    END LOOP;
END
$$;

-- lock_user_conversations.sql one conversation at a time: locks every
-- conversation of a user (FOR UPDATE), the roots of trees of branches first,
-- and returns their ids in that order.
CREATE OR REPLACE FUNCTION convstore_lock_user_conversations(of_user text)
RETURNS SETOF uuid
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    listed record;
BEGIN
    FOR listed IN
        SELECT c.id
          FROM conversations AS c
         WHERE c.user_id = of_user
         ORDER BY c.parent_id IS NOT NULL, c.id
    LOOP
        RETURN QUERY
        SELECT c.id
          FROM conversations AS c
         WHERE c.id = listed.id
           FOR UPDATE;
    END LOOP;
END
$$;
