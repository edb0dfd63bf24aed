-- Stores one pending write of a task of a checkpoint. A write already stored
-- is kept, unless :replace (LangGraph's special writes: an error, an
-- interrupt ... replace the one stored at their index).
-- :conversation_id  the thread's conversation
-- :user_id          its owner
-- :checkpoint_ns    the namespace
-- :checkpoint_id    the checkpoint the write belongs to
-- :task_id          the task that wrote it
-- :idx              its index among the task's writes (negative: a special write)
-- :task_path        the task's path
-- :channel          the channel written
-- :value_type       the serializer's type tag
-- :value            the serialized value
-- :replace          true to replace a write stored at the same index
-- Index: langgraph_writes_key.
INSERT INTO langgraph_writes
       (conversation_id, user_id, checkpoint_ns, checkpoint_id, task_id, idx, task_path,
        channel, value_type, value)
VALUES (:conversation_id, :user_id, :checkpoint_ns, :checkpoint_id, :task_id, :idx,
        :task_path, :channel, :value_type, :value::bytea)
    ON CONFLICT (conversation_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE
   SET channel = excluded.channel,
       value_type = excluded.value_type,
       value = excluded.value
 WHERE :replace::boolean;
