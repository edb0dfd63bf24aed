-- Recomputes a conversation's counters from its messages (after an import or
-- a repair) -- but last_seq, which never moves back (a deleted message's seq is
-- not reused) -- and moves its last activity time forward to :updated_at or its
-- newest message, never back (re-importing an older export must not make an
-- active conversation look idle to a purge). It takes a new place in the order
-- of writes -- when messages were added (the messages_number_write trigger, per message).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :updated_at       a timestamp as SQLite stores it (UTC,
--                   2026-11-25T13:38:38.123000Z; convstore converts any ISO 8601 input)
-- Index: messages primary key (conversation_id, seq).
UPDATE conversations
   SET last_seq = max(last_seq, (SELECT coalesce(max(seq), 0)
                                   FROM messages WHERE conversation_id = :conversation_id)),
       message_count = inherited_messages
                       + (SELECT count(*) FROM messages WHERE conversation_id = :conversation_id),
       total_tokens = coalesce((SELECT tokens_through
                                  FROM conversation_ancestors
                                 WHERE conversation_id = :conversation_id
                                   AND depth = 1), 0)
                      + (SELECT coalesce(sum(coalesce(tokens, 100)), 0)
                           FROM messages WHERE conversation_id = :conversation_id AND pinned = 0),
       pinned_tokens = (SELECT coalesce(sum(coalesce(m.tokens, 100)), 0)
                          FROM conversation_ancestors AS a
                          JOIN messages AS m
                            ON m.conversation_id = a.ancestor_id
                           AND m.pinned = 1
                           AND m.seq > a.after_seq
                           AND m.seq <= a.through_seq
                         WHERE a.conversation_id = :conversation_id)
                     + (SELECT coalesce(sum(coalesce(tokens, 100)), 0)
                          FROM messages WHERE conversation_id = :conversation_id AND pinned = 1),
       updated_at = max(updated_at, :updated_at,
                        coalesce((SELECT max(created_at) FROM messages
                                   WHERE conversation_id = :conversation_id), :updated_at))
 WHERE id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id);
