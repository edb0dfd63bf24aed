-- Appends one message to a conversation and returns it, by the function
-- convstore_append_message (migration pg_0029), whose two statements, an UPDATE
-- of the conversation row and an INSERT of the message, each run on the
-- conversation's shard alone on Citus. Updating the conversation row locks
-- it, so concurrent appends to the same conversation queue up and each gets
-- the next seq (1, 2, 3 ... with no gaps). The same update keeps the running
-- token totals (unknown tokens count as 100; a pinned message's tokens go to
-- pinned_tokens, not to the running total), the message count, updated_at and
-- activity_order (a new write order, never lower than the last: migration
-- pg_0016); the message takes a write order of its own. Returns no row when
-- the conversation does not exist, or when it already holds a message with
-- :idempotency_key (a retry: nothing is allocated; the caller reads the stored
-- message).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :role             system, developer, user, assistant, tool or function
-- :content          the text, or NULL
-- :tool_calls       a JSON array as text, or NULL
-- :tool_call_id     the tool call a tool message answers, or NULL
-- :name             the participant's name, or NULL
-- :tokens           the token count, or NULL when unknown
-- :latency_ms       the generation latency in milliseconds, or NULL
-- :pinned           true to keep the message in every token-budget context
-- :metadata         a JSON object, as text
-- :idempotency_key  the caller's label for this append, or NULL
-- :kind             'message' (or NULL) for a chat message, or another item's kind
-- :payload          the item as its producer gave it (JSON text), or NULL
-- :fingerprint      SHA-256 (hex) of what the message says, computed by convstore
-- :content_parts    the content given as a list of parts (a JSON array as text;
--                   :content then holds their text), or NULL
-- :function_call    an assistant's legacy function call (JSON object text), or NULL
-- :refusal          an assistant's refusal, or NULL
-- :weight           0 or 1 (fine-tuning), or NULL
-- :extra            the message's other fields, a JSON object as text
-- :tokens_estimated true when :tokens is convstore's estimate
-- Index: conversations primary key (the row lock), messages primary key,
--        messages_idempotency_key.
SELECT conversation_id, seq, role, content, tool_calls, tool_call_id, name, tokens,
       latency_ms, pinned, metadata, idempotency_key, created_at, kind, payload,
       content_parts, function_call, refusal, weight, extra, tokens_estimated
  FROM convstore_append_message(
           :conversation_id::uuid, :user_id, :role, :content, :tool_calls::jsonb,
           :tool_call_id, :name, :tokens::integer, :latency_ms::integer, :pinned::boolean,
           :metadata::jsonb, :idempotency_key, :kind, :payload::jsonb, :fingerprint,
           :content_parts::jsonb, :function_call::jsonb, :refusal, :weight::smallint,
           :extra::jsonb, :tokens_estimated::boolean);
