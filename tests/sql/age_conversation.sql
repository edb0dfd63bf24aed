-- Test only: set a conversation's last activity time (convstore itself only
-- ever moves it forward), to make it old enough for a purge.
-- :conversation_id  the conversation
-- :updated_at       the time, as convstore binds timestamps
-- Index: conversations primary key.
UPDATE conversations
   SET updated_at = :updated_at
 WHERE id = :conversation_id;
