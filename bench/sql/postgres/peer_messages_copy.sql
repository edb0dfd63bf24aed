-- Baseline for bench/writes.py: a batch of messages in the peers' shape by COPY.
-- Index: the primary key, peer_messages_by_conversation.
COPY peer_messages (id, conversation_id, message, created_at) FROM STDIN;
