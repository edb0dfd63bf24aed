-- Baseline for bench/attachments.py: a whole conversation's messages in the
-- peers' shape, oldest first, in one SELECT (what the peers run to show a
-- conversation), each message as its JSON text.
-- :conversation_id  the conversation
-- Index: peer_messages_by_conversation, then a sort of its rows.
SELECT id, conversation_id, message::text AS message, created_at
  FROM peer_messages
 WHERE conversation_id = :conversation_id::uuid
 ORDER BY created_at;
