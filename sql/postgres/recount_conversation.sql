-- Recomputes a conversation's counters from its messages (after an import or
-- a repair) -- but last_seq, which never moves back (a deleted message's seq is
-- not reused) -- and moves its last activity time forward to :updated_at or its
-- newest message, never back (re-importing an older export must not make an
-- active conversation look idle to a purge). It takes a new place in the order
-- of writes when messages were added since its last one (SQLite's trigger does
-- that for each message). A branch's counters count the history it shares too:
-- its fork's running total (conversation_ancestors.tokens_through of its
-- parent), its inherited messages and their pinned tokens.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :updated_at       an ISO 8601 timestamp
-- Index: messages primary key (conversation_id, seq); messages_pinned_descent
--        of each ancestor.
-- A branch's inherited pinned tokens are summed by convstore_pinned_messages
-- (migration pg_0030) in a MATERIALIZED CTE: on Citus, whose shards hold the
-- ancestors apart, the coordinator runs it first, a router query per
-- ancestor, then routes the UPDATE to the conversation's shard.
-- The new write order is taken in a MATERIALIZED CTE, evaluated once on its
-- own (a write order unused when nothing was added is a gap, as any): Citus
-- refuses a VOLATILE function in an UPDATE of a distributed table.
WITH next_write AS MATERIALIZED (
    SELECT convstore_write_order() AS write_order
), inherited_pinned AS MATERIALIZED (  -- those stored in its ancestors
    SELECT coalesce(sum(coalesce(m.tokens, 100)), 0) AS tokens
      FROM convstore_pinned_messages(:conversation_id, NULL, NULL) AS m
     WHERE m.conversation_id <> :conversation_id
)
UPDATE conversations AS c
   SET last_seq = greatest(c.last_seq, (SELECT coalesce(max(seq), 0)
                                          FROM messages WHERE conversation_id = :conversation_id)),
       message_count = inherited_messages
                       + (SELECT count(*) FROM messages WHERE conversation_id = :conversation_id),
       total_tokens = coalesce((SELECT tokens_through
                                  FROM conversation_ancestors
                                 WHERE conversation_id = :conversation_id
                                   AND depth = 1), 0)
                      + (SELECT coalesce(sum(coalesce(tokens, 100)), 0)
                           FROM messages WHERE conversation_id = :conversation_id AND NOT pinned),
       pinned_tokens = (SELECT tokens FROM inherited_pinned)
                     + (SELECT coalesce(sum(coalesce(tokens, 100)), 0)
                          FROM messages WHERE conversation_id = :conversation_id AND pinned),
       updated_at = greatest(c.updated_at, :updated_at::timestamptz,
                             (SELECT max(created_at) FROM messages
                               WHERE conversation_id = :conversation_id)),
       activity_order = CASE WHEN EXISTS (
                                 SELECT 1 FROM messages
                                  WHERE conversation_id = :conversation_id
                                    AND write_order > coalesce(c.activity_order,
                                                               -9223372036854775808))
                             THEN (SELECT write_order FROM next_write)
                             ELSE c.activity_order END
 WHERE id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id);
