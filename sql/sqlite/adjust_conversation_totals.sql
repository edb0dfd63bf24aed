-- Adjusts a conversation's running totals after a message was edited or deleted.
-- :conversation_id        the conversation
-- :user_id                limit to this owner's conversations, or NULL for any owner
-- :unpinned_tokens_delta  change in the unpinned messages' counted tokens
-- :pinned_tokens_delta    change in the pinned messages' counted tokens
-- :message_count_delta    change in the number of messages
-- Index: conversations primary key.
UPDATE conversations
   SET total_tokens = total_tokens + :unpinned_tokens_delta,
       pinned_tokens = pinned_tokens + :pinned_tokens_delta,
       message_count = message_count + :message_count_delta
 WHERE id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id);
