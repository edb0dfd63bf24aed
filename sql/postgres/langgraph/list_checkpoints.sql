-- Returns checkpoints, newest first (by id, across threads too): those of one
-- thread, namespace or checkpoint when given, whose metadata contains
-- :metadata (JSON containment), before a checkpoint id, :limit at most.
-- :conversation_id        a thread's conversation, or NULL for every thread
-- :user_id                limit to this owner's threads, or NULL for any owner
-- :checkpoint_ns          a namespace, or NULL for all
-- :checkpoint_id          one checkpoint, or NULL
-- :metadata               a JSON object as text, or NULL
-- :before_checkpoint_id   only checkpoints with smaller ids, or NULL
-- :limit                  how many at most, or NULL for all
-- Index: langgraph_checkpoints_key for one thread; a scan of every thread's otherwise.
SELECT conversation_id, thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id,
       checkpoint::text AS checkpoint, metadata
  FROM langgraph_checkpoints
 WHERE (:conversation_id::uuid IS NULL OR conversation_id = :conversation_id)
   AND (:user_id::text IS NULL OR user_id = :user_id)
   AND (:checkpoint_ns::text IS NULL OR checkpoint_ns = :checkpoint_ns)
   AND (:checkpoint_id::text IS NULL OR checkpoint_id = :checkpoint_id)
   AND (:metadata::jsonb IS NULL OR metadata @> :metadata::jsonb)
   AND (:before_checkpoint_id::text IS NULL OR checkpoint_id < :before_checkpoint_id)
 ORDER BY checkpoint_id DESC
 LIMIT :limit;
