-- Returns a user's conversations with at least one message containing :query
-- (case-insensitive; the text is matched literally, so % _ and \ are plain
-- characters), most recently active first, with how many messages matched.
-- :user_id  the owner
-- :query    the text to look for
-- :limit    how many conversations at most
-- Index: conversations_user_recent; messages primary key per conversation.
SELECT c.id, c.user_id, c.title, c.metadata, c.created_at, c.updated_at,
       c.message_count, count(*) AS matching_messages
  FROM conversations AS c
  JOIN messages AS m ON m.conversation_id = c.id
 WHERE c.user_id = :user_id
   AND m.user_id = :user_id
   AND strpos(lower(m.content), lower(:query)) > 0
 GROUP BY c.id
 ORDER BY c.updated_at DESC, c.id DESC
 LIMIT :limit;
