-- Imports a message with its own seq and timestamp (its running total is set
-- by recount_tokens_before.sql); returns nothing if that seq is already there.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seq              the message's sequence number
-- :role             its role
-- :content          its text, or NULL
-- :tool_calls       a JSON array as text, or NULL
-- :tool_call_id     the call a tool message answers, or NULL
-- :name             the participant's name, or NULL
-- :tokens           its token count, or NULL
-- :latency_ms       its latency, or NULL
-- :pinned           whether it is pinned
-- :metadata         a JSON object, as text
-- :idempotency_key  its idempotency key, or NULL
-- :kind             'message' (or NULL) for a chat message, or another item's kind
-- :payload          the item as its producer gave it (JSON text), or NULL
-- :fingerprint      SHA-256 (hex) of what the message says, computed by convstore
-- :content_parts    the content given as a list of parts (a JSON array as text;
--                   :content then holds their text), or NULL
-- :function_call    an assistant's legacy function call (JSON object text), or NULL
-- :refusal          an assistant's refusal, or NULL
-- :weight           0 or 1 (fine-tuning), or NULL
-- :extra            the message's other fields, a JSON object as text
-- :tokens_estimated 1 when :tokens is convstore's estimate
-- :created_at       a timestamp as SQLite stores it (UTC,
--                   2026-11-25T13:38:38.123000Z; convstore converts any ISO 8601 input)
-- It takes the next write order (the counter moves past it: migration
-- sqlite_0019).
-- Index: messages primary key; write_order (one row).
INSERT INTO messages (conversation_id, seq, user_id, role, content, tool_calls, tool_call_id,
                      name, tokens, latency_ms, pinned, tokens_before, metadata,
                      idempotency_key, created_at, kind, payload, fingerprint,
                      content_parts, function_call, refusal, weight, extra, tokens_estimated,
                      write_order)
SELECT id, :seq, user_id, :role, :content, :tool_calls, :tool_call_id,
       :name, :tokens, :latency_ms, :pinned, 0, :metadata,
       :idempotency_key, :created_at, coalesce(:kind, 'message'), :payload, :fingerprint,
       :content_parts, :function_call, :refusal, :weight, :extra, :tokens_estimated,
       (SELECT last + 1 FROM write_order)
  FROM conversations
 WHERE id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
ON CONFLICT (conversation_id, seq) DO NOTHING
RETURNING seq;
