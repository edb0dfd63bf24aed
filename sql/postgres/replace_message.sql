-- Replaces what a message says, in place: its seq, created_at and write order
-- stay. Every field is set to the one given, but the idempotency key, which
-- a NULL leaves as it is (a retry of the first append must still find it).
-- Returns the new counted tokens (unknown counts as 100) and pinned flag; the
-- caller then shifts the running totals (it holds the conversation's lock).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seq              the message's sequence number
-- :role             system, developer, user, assistant, tool or function
-- :content          the text, or NULL
-- :tool_calls       a JSON array as text, or NULL
-- :tool_call_id     the tool call a tool message answers, or NULL
-- :name             the participant's name, or NULL
-- :tokens           the token count, or NULL when unknown
-- :latency_ms       the generation latency in milliseconds, or NULL
-- :pinned           true to keep the message in every token-budget context
-- :metadata         a JSON object, as text
-- :idempotency_key  a new idempotency key, or NULL to keep the stored one
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
-- Index: messages primary key (conversation_id, seq).
UPDATE messages
   SET role = :role,
       content = :content,
       tool_calls = :tool_calls::jsonb,
       tool_call_id = :tool_call_id,
       name = :name,
       tokens = :tokens::integer,
       latency_ms = :latency_ms::integer,
       pinned = :pinned::boolean,
       metadata = :metadata::jsonb,
       idempotency_key = coalesce(:idempotency_key, idempotency_key),
       kind = coalesce(:kind, 'message'),
       payload = :payload::jsonb,
       fingerprint = :fingerprint,
       content_parts = :content_parts::jsonb,
       function_call = :function_call::jsonb,
       refusal = :refusal,
       weight = :weight::smallint,
       extra = :extra::jsonb,
       tokens_estimated = :tokens_estimated::boolean,
       search_vector = NULL  -- indexed again later: index_pending_search.sql
 WHERE conversation_id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id)
   AND seq = :seq
RETURNING coalesce(tokens, 100) AS counted_tokens, pinned;
