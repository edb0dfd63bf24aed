-- Forgets which attachments a message references (before it is replaced by
-- one that references its own); the attachments stay until
-- delete_unreferenced_attachments.sql finds them unreferenced.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :seq              the message's sequence number
-- Index: message_attachments primary key (conversation_id, seq, sha256).
DELETE FROM message_attachments
 WHERE conversation_id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id)
   AND seq = :seq;
