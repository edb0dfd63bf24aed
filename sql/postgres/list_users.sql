-- Every user who has a conversation, the most recently active first (by
-- write order, as list_conversations: migration pg_0016), each with how many
-- conversations they have, how many messages those store (a branch's shared
-- messages are counted once, in the conversation that wrote them) and their
-- last activity. Counted from the conversations' own counters: no message is
-- read. For every user, each conversation row is read once (a user's place
-- in the order is known only once all of theirs are counted) and then the
-- users, not their conversations, are sorted: about 75 ms for 200,000
-- conversations of 5,000 users. For one user (a user-scoped view) the other
-- branch of the UNION is skipped as a whole.
-- :user_id  only this user (a user-scoped view's), or NULL for every user
-- :limit    how many users at most
-- Index: conversations_user_activity (user_id, ...) for one user; for every
--        user a sequential scan with a hash aggregate by user_id, which
--        PostgreSQL finds cheaper than walking that index in user order.
SELECT user_id, conversations, messages, last_activity_at
  FROM (SELECT user_id, count(*) AS conversations,
               CAST(sum(message_count - inherited_messages) AS bigint) AS messages,
               max(updated_at) AS last_activity_at, max(activity_order) AS last_write
          FROM conversations
         WHERE user_id = :user_id
         GROUP BY user_id
        UNION ALL
        SELECT user_id, count(*),
               CAST(sum(message_count - inherited_messages) AS bigint),
               max(updated_at), max(activity_order)
          FROM conversations
         WHERE :user_id::text IS NULL
         GROUP BY user_id) AS per_user
 ORDER BY last_write DESC NULLS LAST, user_id
 LIMIT :limit;
