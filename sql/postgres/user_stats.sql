-- A user's activity: one row per message role (conversations and first and
-- last activity repeated on each), computed from their conversations' rows
-- and messages. A user with conversations but no messages gets one row whose
-- role is NULL; an unknown user gets no row.
-- :user_id  the user
-- Index: conversations_user_recent; messages primary key per conversation.
WITH owned AS (
    SELECT id, created_at, updated_at
      FROM conversations
     WHERE user_id = :user_id
), per_role AS (
    SELECT m.role, count(*) AS messages, coalesce(sum(m.tokens) FILTER (WHERE NOT m.tokens_estimated), 0) AS tokens
      FROM owned AS o
      JOIN messages AS m ON m.conversation_id = o.id
     GROUP BY m.role
)
SELECT (SELECT count(*) FROM owned) AS conversations,
       r.role, coalesce(r.messages, 0) AS messages, coalesce(r.tokens, 0) AS tokens,
       (SELECT min(created_at) FROM owned) AS first_activity_at,
       (SELECT max(updated_at) FROM owned) AS last_activity_at
  FROM (SELECT 1 FROM owned LIMIT 1) AS has_conversations
  LEFT JOIN per_role AS r ON true
 ORDER BY r.role;
