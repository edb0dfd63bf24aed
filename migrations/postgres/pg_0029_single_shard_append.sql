-- Appending one message as two statements in a function, so that Citus runs
-- each on the conversation's shard over one connection and commits without
-- two-phase commit (issue 18). Unchanged on plain PostgreSQL: the same
-- allocation under the conversation row's lock as append_message.sql had.
--
-- The one statement of append_message.sql (an UPDATE ... RETURNING feeding an
-- INSERT ... SELECT) is, on Citus, a modifying CTE whose rows the coordinator
-- pulls and then copies into the shard: COPY always takes two-phase commit
-- (Citus's commands/multi_copy.c), six round trips to the worker, and a client
-- killed meanwhile leaves a prepared transaction that blocks later appends to
-- the conversation until Citus's recovery runs. Citus also refuses a VOLATILE
-- function in an UPDATE of a distributed table (clock_timestamp(),
-- convstore_write_order()): the function takes both values first, into
-- variables, so each statement is a plain router query with parameters.
--
-- The time and the write order are taken before the row lock, as the single
-- statement took them; activity_order keeps the greatest, so a call that waited
-- for the lock never moves it back. The message takes the same write order as
-- its conversation's activity_order, given explicitly: on Citus a column
-- default in a statement Citus routes to a worker is evaluated there, from
-- the worker's own range of the sequence (group id << 48), which would order
-- it after every write the coordinator numbered.
-- Returns the stored message, or no row when the conversation does not exist
-- (or is another owner's) or already holds a message with new_idempotency_key.
-- depends: pg_0028_propagated_user_scope

CREATE OR REPLACE FUNCTION convstore_append_message(
    into_conversation uuid, owner_id text, new_role text, new_content text,
    new_tool_calls jsonb, new_tool_call_id text, new_name text, new_tokens integer,
    new_latency_ms integer, new_pinned boolean, new_metadata jsonb,
    new_idempotency_key text, new_kind text, new_payload jsonb, new_fingerprint text,
    new_content_parts jsonb, new_function_call jsonb, new_refusal text, new_weight smallint,
    new_extra jsonb, new_tokens_estimated boolean
) RETURNS SETOF messages
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    appended_at timestamptz := clock_timestamp();
    next_write_order bigint := convstore_write_order();
    counted_tokens bigint := coalesce(new_tokens, 100);
    allocated record;
BEGIN
    UPDATE conversations AS c
       SET last_seq = c.last_seq + 1,
           message_count = c.message_count + 1,
           total_tokens = c.total_tokens + CASE WHEN new_pinned THEN 0 ELSE counted_tokens END,
           pinned_tokens = c.pinned_tokens + CASE WHEN new_pinned THEN counted_tokens ELSE 0 END,
           updated_at = appended_at,
           activity_order = greatest(c.activity_order, next_write_order)
     WHERE c.id = into_conversation
       AND (owner_id IS NULL OR c.user_id = owner_id)
       AND NOT EXISTS (SELECT 1
                         FROM messages AS m
                        WHERE m.conversation_id = into_conversation
                          AND m.idempotency_key = new_idempotency_key)
    RETURNING c.user_id, c.last_seq AS seq,
              c.total_tokens - CASE WHEN new_pinned THEN 0 ELSE counted_tokens END
                  AS tokens_before
         INTO allocated;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
    INSERT INTO messages AS m
           (conversation_id, seq, user_id, role, content, tool_calls, tool_call_id, name,
            tokens, latency_ms, pinned, tokens_before, metadata, idempotency_key, created_at,
            kind, payload, fingerprint, content_parts, function_call, refusal, weight, extra,
            tokens_estimated, write_order)
    VALUES (into_conversation, allocated.seq, allocated.user_id, new_role, new_content,
            new_tool_calls, new_tool_call_id, new_name, new_tokens, new_latency_ms, new_pinned,
            allocated.tokens_before, new_metadata, new_idempotency_key, appended_at,
            coalesce(new_kind, 'message'), new_payload, new_fingerprint, new_content_parts,
            new_function_call, new_refusal, new_weight, new_extra, new_tokens_estimated,
            next_write_order)
    RETURNING m.*;
END
$$;

-- Appending a batch to one conversation: the statement of append_messages.sql
-- before this migration, with the time and one write order per message taken
-- first, into variables, for the same reasons. Citus routes the whole
-- statement to the conversation's shard as one task. Each message takes its
-- write order in batch order, and the conversation's activity_order the
-- batch's last (never lower than it was). Write orders of messages skipped as
-- retries are not used (the sequence has gaps anyway).
-- Returns the stored messages in batch order; no row when the conversation
-- does not exist (or is another owner's) or every message is a retry.
CREATE OR REPLACE FUNCTION convstore_append_messages(
    into_conversation uuid, owner_id text, new_messages jsonb
) RETURNS SETOF messages
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    appended_at timestamptz := clock_timestamp();
    write_orders bigint[] := ARRAY(SELECT convstore_write_order()
                                     FROM generate_series(1, jsonb_array_length(new_messages)));
BEGIN
    RETURN QUERY
        WITH requested AS (
            SELECT r.*
              FROM ROWS FROM (
                       jsonb_to_recordset(new_messages)
                       AS (role text, content text, tool_calls text, tool_call_id text, name text,
                           tokens integer, latency_ms integer, pinned boolean, metadata text,
                           idempotency_key text, kind text, payload text, fingerprint text,
                           content_parts text, function_call text, refusal text, weight smallint,
                           extra text, tokens_estimated boolean)
                   ) WITH ORDINALITY AS r(role, content, tool_calls, tool_call_id, name, tokens,
                                          latency_ms, pinned, metadata, idempotency_key, kind,
                                          payload, fingerprint, content_parts, function_call,
                                          refusal, weight, extra, tokens_estimated, requested_at)
        ), batch AS (
            SELECT r.*,
                   row_number() OVER (ORDER BY r.requested_at) AS position,
                   coalesce(r.tokens, 100) AS counted_tokens,
                   coalesce(sum(CASE WHEN r.pinned THEN 0 ELSE coalesce(r.tokens, 100) END) OVER (
                       ORDER BY r.requested_at
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                   ), 0) AS unpinned_tokens_before
              FROM requested AS r
             WHERE NOT EXISTS (SELECT 1
                                 FROM messages AS m
                                WHERE m.conversation_id = into_conversation
                                  AND m.idempotency_key = r.idempotency_key)
        ), batch_totals AS (
            SELECT count(*) AS message_count,
                   coalesce(sum(counted_tokens) FILTER (WHERE NOT pinned), 0) AS unpinned_tokens,
                   coalesce(sum(counted_tokens) FILTER (WHERE pinned), 0) AS pinned_tokens
              FROM batch
        ), allocated AS (
            UPDATE conversations AS c
               SET last_seq = c.last_seq + t.message_count,
                   message_count = c.message_count + t.message_count,
                   total_tokens = c.total_tokens + t.unpinned_tokens,
                   pinned_tokens = c.pinned_tokens + t.pinned_tokens,
                   updated_at = appended_at,
                   activity_order = greatest(c.activity_order, write_orders[t.message_count])
              FROM batch_totals AS t
             WHERE c.id = into_conversation
               AND (owner_id IS NULL OR c.user_id = owner_id)
               AND t.message_count > 0
            RETURNING c.id, c.user_id, c.updated_at,
                      c.last_seq - t.message_count AS seq_before,
                      c.total_tokens - t.unpinned_tokens AS tokens_before
        )
        INSERT INTO messages AS m (conversation_id, seq, user_id, role, content, tool_calls,
                              tool_call_id, name, tokens, latency_ms, pinned, tokens_before,
                              metadata, idempotency_key, created_at, kind, payload, fingerprint,
                              content_parts, function_call, refusal, weight, extra, tokens_estimated,
                              write_order)
        SELECT a.id, a.seq_before + b.position, a.user_id, b.role, b.content, b.tool_calls::jsonb,
               b.tool_call_id, b.name, b.tokens, b.latency_ms, b.pinned,
               a.tokens_before + b.unpinned_tokens_before, b.metadata::jsonb, b.idempotency_key,
               a.updated_at, coalesce(b.kind, 'message'), b.payload::jsonb, b.fingerprint,
               b.content_parts::jsonb, b.function_call::jsonb, b.refusal, b.weight, b.extra::jsonb,
               b.tokens_estimated, write_orders[b.position]
          FROM allocated AS a, batch AS b
         ORDER BY b.position
        RETURNING m.*;
END
$$;
