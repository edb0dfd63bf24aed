-- Appends a batch of messages to a conversation and returns the ones it
-- stored, in order, by the function convstore_append_messages (migration
-- pg_0029: one statement, which Citus runs on the conversation's shard). A
-- message whose :idempotency_key the conversation already holds is a retry
-- and is skipped (the caller reads the stored one). The conversation row is
-- updated (and locked) once for the whole batch: it reserves the next seq
-- numbers, advances the running token totals (unknown tokens count as 100;
-- pinned messages' tokens go to pinned_tokens), the message count, updated_at
-- and activity_order (the batch's last write order; each message takes one,
-- in batch order: migration pg_0016). Each message's tokens_before is the
-- conversation's previous total plus the unpinned tokens of the batch's
-- earlier messages. Returns no row when the conversation does not exist.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :messages         a JSON array of objects with role, content, tool_calls (JSON
--                   text or null), tool_call_id, name, tokens, latency_ms, pinned,
--                   metadata (JSON text), idempotency_key, kind ('message' or
--                   null for a chat message), payload (JSON text or null),
--                   fingerprint, content_parts, function_call and extra (JSON
--                   text or null), refusal, weight and tokens_estimated, in
--                   the order to append them
-- Index: conversations primary key (the row lock), messages primary key,
--        messages_idempotency_key.
SELECT conversation_id, seq, role, content, tool_calls, tool_call_id, name, tokens,
       latency_ms, pinned, metadata, idempotency_key, created_at, kind, payload,
       content_parts, function_call, refusal, weight, extra, tokens_estimated
  FROM convstore_append_messages(:conversation_id::uuid, :user_id, :messages::jsonb);
