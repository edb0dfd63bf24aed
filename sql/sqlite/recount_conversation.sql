-- Recomputes a conversation's counters from its messages (after an import or
-- a repair) and sets its last activity time.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :updated_at       an ISO 8601 timestamp
-- Index: messages primary key (conversation_id, seq).
UPDATE conversations
   SET last_seq = (SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = :conversation_id),
       message_count = (SELECT count(*) FROM messages WHERE conversation_id = :conversation_id),
       total_tokens = (SELECT coalesce(sum(coalesce(tokens, 100)), 0)
                         FROM messages WHERE conversation_id = :conversation_id AND pinned = 0),
       pinned_tokens = (SELECT coalesce(sum(coalesce(tokens, 100)), 0)
                          FROM messages WHERE conversation_id = :conversation_id AND pinned = 1),
       updated_at = (strftime('%Y-%m-%dT%H:%M:%S', CASE WHEN substr(:updated_at, 20, 1) IN ('.', ',') THEN substr(:updated_at, 1, 19) || ltrim(substr(:updated_at, 21), '0123456789') ELSE :updated_at END)
       || '.' || substr(CASE WHEN substr(:updated_at, 20, 1) IN ('.', ',') THEN substr(substr(:updated_at, 21), 1, length(substr(:updated_at, 21)) - length(ltrim(substr(:updated_at, 21), '0123456789'))) ELSE '' END || '000000', 1, 6) || 'Z')
 WHERE id = :conversation_id
   AND (:user_id IS NULL OR user_id = :user_id);
