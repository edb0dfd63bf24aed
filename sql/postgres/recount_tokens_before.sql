-- Recomputes every message's running total (tokens_before: the unpinned
-- counted tokens before it, unknown counting as 100) from the messages
-- themselves, after an import or a repair; a branch's continue from its fork
-- point's total (conversation_ancestors.tokens_through of its parent).
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: messages primary key (conversation_id, seq).
UPDATE messages
   SET tokens_before = recounted.tokens_before
  FROM (SELECT seq,
               coalesce(sum(CASE WHEN pinned THEN 0 ELSE coalesce(tokens, 100) END) OVER (
                   ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
               ), 0) + coalesce((SELECT tokens_through
                                   FROM conversation_ancestors
                                  WHERE conversation_id = :conversation_id
                                    AND depth = 1), 0) AS tokens_before
          FROM messages
         WHERE conversation_id = :conversation_id) AS recounted
 WHERE messages.conversation_id = :conversation_id
   AND (:user_id::text IS NULL OR messages.user_id = :user_id)
   AND messages.seq = recounted.seq
   AND messages.tokens_before <> recounted.tokens_before;
