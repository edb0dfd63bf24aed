-- Returns a checkpoint of a thread's namespace: :checkpoint_id, or the newest
-- (the greatest id: LangGraph's ids grow with time) when it is NULL.
-- :conversation_id  the thread's conversation
-- :user_id          limit to this owner's threads, or NULL for any owner
-- :checkpoint_ns    the namespace
-- :checkpoint_id    the checkpoint, or NULL for the newest
-- Index: langgraph_checkpoints_key, read backwards for the newest.
SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id,
       checkpoint, metadata
  FROM langgraph_checkpoints
 WHERE conversation_id = :conversation_id
   AND checkpoint_ns = :checkpoint_ns
   AND (:checkpoint_id IS NULL OR checkpoint_id = :checkpoint_id)
   AND (:user_id IS NULL OR user_id = :user_id)
 ORDER BY checkpoint_id DESC
 LIMIT 1;
