-- Baseline for bench/writes.py: the index the peers read a conversation by.
-- Index: creates peer_messages_by_conversation.
CREATE INDEX peer_messages_by_conversation ON peer_messages (conversation_id);
