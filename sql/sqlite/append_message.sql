-- Appends one message to a conversation and returns it. A single INSERT takes
-- SQLite's write lock before it reads, so seq = last_seq + 1 is gapless and
-- unique even with concurrent writers; the message takes the next write
-- order the same way. The messages_advance_conversation
-- trigger (see the migrations) then advances the conversation's last_seq,
-- running token totals (unknown tokens count as 100; a pinned message's tokens
-- go to pinned_tokens, not to the running total), message count, updated_at
-- and activity_order in the same statement, and messages_count_write the
-- write-order counter (migration sqlite_0019). Returns no row when the conversation does not exist,
-- or when it already holds a message with :idempotency_key (a retry: nothing is
-- allocated; the caller reads the stored message).
-- created_at is UTC text with microseconds (migration sqlite_0009; the clock
-- has milliseconds, so the last three digits are zeros).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :role             system, developer, user, assistant, tool or function
-- :content          the text, or NULL
-- :tool_calls       a JSON array as text, or NULL
-- :tool_call_id     the tool call a tool message answers, or NULL
-- :name             the participant's name, or NULL
-- :tokens           the token count, or NULL when unknown
-- :latency_ms       the generation latency in milliseconds, or NULL
-- :pinned           1 to keep the message in every token-budget context, else 0
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
-- :tokens_estimated 1 when :tokens is convstore's estimate
-- Index: conversations primary key, messages primary key, messages_idempotency_key;
--        write_order (one row).
INSERT INTO messages (conversation_id, seq, user_id, role, content, tool_calls,
                      tool_call_id, name, tokens, latency_ms, pinned, tokens_before,
                      metadata, idempotency_key, created_at, kind, payload, fingerprint,
                      content_parts, function_call, refusal, weight, extra, tokens_estimated,
                      write_order)
SELECT id, last_seq + 1, user_id, :role, :content, :tool_calls,
       :tool_call_id, :name, :tokens, :latency_ms, :pinned, total_tokens,
       :metadata, :idempotency_key, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z',
       coalesce(:kind, 'message'), :payload, :fingerprint, :content_parts, :function_call,
       :refusal, :weight, :extra, :tokens_estimated,
       (SELECT last + 1 FROM write_order)
  FROM conversations
 WHERE id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
   AND NOT EXISTS (SELECT 1
                     FROM messages
                    WHERE conversation_id = :conversation_id
                      AND idempotency_key = :idempotency_key)
RETURNING conversation_id, seq, role, content, tool_calls, tool_call_id, name,
          tokens, latency_ms, pinned, metadata, idempotency_key, created_at, kind, payload,
          content_parts, function_call, refusal, weight, extra, tokens_estimated;
