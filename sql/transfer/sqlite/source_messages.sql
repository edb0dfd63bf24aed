-- Transfer, source side (SQLite): the messages of some conversations after a
-- seq of each (what the destination lacks), in (conversation_id, seq) order,
-- every column as stored, in the order of the columns of COPY messages
-- (sql/postgres/transfer/copy_messages.sql), so each row is sent as it is.
-- :after_seqs    a JSON object: conversation id -> the seq to start after
-- :order_offset  added to write_order: where the destination places the
--                copied rows in its order of writes
-- Index: messages primary key (conversation_id, seq), one range per conversation.
SELECT m.conversation_id, m.seq, m.user_id, m.role, m.content,
       m.tool_calls AS tool_calls_json, m.tool_call_id, m.name, m.tokens, m.latency_ms,
       m.pinned, m.tokens_before, m.metadata AS metadata_json, m.idempotency_key,
       m.created_at AS created_at_text, m.write_order + :order_offset AS write_order,
       m.kind, m.payload AS payload_json, m.fingerprint,
       m.content_parts AS content_parts_json, m.function_call AS function_call_json, m.refusal,
       m.weight, m.extra AS extra_json, m.tokens_estimated
  FROM json_each(:after_seqs) AS wanted
  JOIN messages AS m ON m.conversation_id = wanted.key AND m.seq > wanted.value
 ORDER BY m.conversation_id, m.seq;
