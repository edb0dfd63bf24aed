-- Transfer, source side (SQLite): the messages of some conversations after a
-- seq of each (what the destination lacks), in (conversation_id, seq) order,
-- every column as stored.
-- :after_seqs  a JSON object: conversation id -> the seq to start after
-- Index: messages primary key (conversation_id, seq), one range per conversation.
SELECT m.conversation_id, m.seq, m.user_id, m.role, m.content,
       m.tool_calls AS tool_calls_json, m.tool_call_id, m.name, m.tokens, m.latency_ms,
       m.pinned, m.tokens_before, m.metadata AS metadata_json, m.idempotency_key,
       m.created_at AS created_at_text, m.write_order
  FROM json_each(:after_seqs) AS wanted
  JOIN messages AS m ON m.conversation_id = wanted.key AND m.seq > wanted.value
 ORDER BY m.conversation_id, m.seq;
