-- How many messages a conversation holds after :after_seq, and their counted
-- tokens (unknown counts as 100), unpinned and pinned apart: what deleting them
-- takes off the conversation's counters (adjust_conversation_totals.sql), and
-- how many attachments they reference (their deletion then looks for
-- attachments no message references any more). Read while holding the
-- conversation's lock. They are its newest messages, so no
-- other message's running total changes when they go.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :after_seq        the last seq kept (0: every message)
-- Index: messages and message_attachments primary keys (conversation_id, seq ...).
SELECT count(*) AS messages,
       coalesce(sum(CASE WHEN pinned THEN 0 ELSE coalesce(tokens, 100) END), 0)
           AS unpinned_tokens,
       coalesce(sum(CASE WHEN pinned THEN coalesce(tokens, 100) ELSE 0 END), 0)
           AS pinned_tokens,
       (SELECT count(*)
          FROM message_attachments
         WHERE conversation_id = :conversation_id
           AND (:user_id IS NULL OR user_id = :user_id)
           AND seq > :after_seq) AS attachments
  FROM messages
 WHERE conversation_id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id)
   AND seq > :after_seq;
