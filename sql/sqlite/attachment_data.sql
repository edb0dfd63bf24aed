-- The bytes of the attachments that a conversation's messages reference (by
-- SHA-256), for reads that give the parts back inline; one row per stored
-- attachment of the conversation's owner.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :sha256s          a JSON array of SHA-256s
-- Index: conversations primary key; attachments primary key (user_id, sha256).
SELECT a.sha256, a.data
  FROM conversations AS c
  JOIN attachments AS a
    ON a.user_id = c.user_id
   AND a.sha256 IN (SELECT value FROM json_each(:sha256s))
 WHERE c.id = :conversation_id
   AND (:user_id IS NULL OR c.user_id = :user_id);
