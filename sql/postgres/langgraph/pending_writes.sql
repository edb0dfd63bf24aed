-- Returns the pending writes of a checkpoint in the order LangGraph applies
-- them (writes_sort_key: task path, task id, index; text by code point).
-- :conversation_id  the thread's conversation
-- :checkpoint_ns    the namespace
-- :checkpoint_id    the checkpoint
-- Index: langgraph_writes_key.
SELECT task_id, channel, value_type, value, task_path, idx
  FROM langgraph_writes
 WHERE conversation_id = :conversation_id
   AND checkpoint_ns = :checkpoint_ns
   AND checkpoint_id = :checkpoint_id
 ORDER BY task_path COLLATE "C", task_id COLLATE "C", idx;
