-- A message's counted tokens (unknown counts as 100) and whether it is pinned:
-- what an edit or a delete must take off the running totals; and how many
-- attachments it references (an edit or a delete of one that references
-- some looks for attachments no message references any more).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seq              the message's sequence number
-- Index: messages primary key (conversation_id, seq); message_attachments primary key.
-- The subquery names the conversation by the parameter: Citus then routes the
-- statement to the conversation's shard (correlated by
-- messages.conversation_id, it asks every shard).
SELECT coalesce(tokens, 100) AS counted_tokens, pinned,
       (SELECT count(*)
          FROM message_attachments AS l
         WHERE l.conversation_id = :conversation_id
           AND l.seq = messages.seq) AS attachments
  FROM messages
 WHERE conversation_id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id)
   AND seq = :seq;
