-- Returns one message of a conversation by its seq (no row if there is none);
-- a branch's include those it shares with its ancestors (returned with the
-- branch's id).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seq              the message's seq
-- Index: messages primary key; conversation_ancestors primary key.
WITH segments AS (
    SELECT stored_in, after_seq, through_seq
      FROM conversation_segments
     WHERE conversation_id = :conversation_id
       AND (:user_id IS NULL OR user_id = :user_id)
)
SELECT :conversation_id AS conversation_id, m.seq, m.role, m.content, m.tool_calls,
       m.tool_call_id, m.name, m.tokens, m.latency_ms, m.pinned, m.metadata,
       m.idempotency_key, m.created_at, m.kind, m.payload, m.content_parts, m.function_call,
       m.refusal, m.weight, m.extra, m.tokens_estimated
  FROM segments AS s
  JOIN messages AS m
    ON m.conversation_id = s.stored_in
   AND m.seq = :seq
 WHERE :seq > s.after_seq
   AND :seq <= s.through_seq;
