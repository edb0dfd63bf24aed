-- Sets a conversation's title, metadata and extra and returns it (no row if
-- it does not exist). Its updated_at and activity_order, which follow its
-- messages, stay as they are.
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- :set_title        true to set the title to :title, false to keep it
-- :title            the new title, or NULL for none
-- :metadata         the new metadata (a JSON object, as text), or NULL to keep it
-- :extra            the new extra (a JSON object, as text), or NULL to keep it
-- Index: conversations primary key.
UPDATE conversations
   SET title = CASE WHEN :set_title::boolean THEN :title::text ELSE title END,
       metadata = coalesce(:metadata::jsonb, metadata),
       extra = coalesce(:extra::jsonb, extra)
 WHERE id = :conversation_id
   AND (:user_id::text IS NULL OR user_id = :user_id)
RETURNING id, user_id, title, metadata, created_at, updated_at,
          message_count, parent_id, fork_seq, last_seq, extra;
