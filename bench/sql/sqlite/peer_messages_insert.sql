-- Baseline for bench/writes.py: one message, as a peer appends it.
-- :id  :conversation_id  :message (the message's JSON text)  :created_at
-- Index: the primary key, peer_messages_by_conversation.
INSERT INTO peer_messages (id, conversation_id, message, created_at)
VALUES (:id, :conversation_id, :message, :created_at);
