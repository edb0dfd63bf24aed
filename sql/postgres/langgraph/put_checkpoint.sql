-- Stores a checkpoint of a LangGraph thread (its values are stored apart, by
-- put_value.sql); storing the same checkpoint again replaces its checkpoint
-- object and metadata, as LangGraph's own savers do.
-- :conversation_id       the thread's conversation
-- :user_id               its owner
-- :thread_id             LangGraph's thread id, as given
-- :checkpoint_ns         the namespace ('' for the root graph)
-- :checkpoint_id         the checkpoint's id
-- :parent_checkpoint_id  the checkpoint it follows, or NULL
-- :checkpoint            the checkpoint object without channel_values, JSON text
-- :metadata              its metadata, a JSON object as text
-- Index: langgraph_checkpoints_key.
INSERT INTO langgraph_checkpoints
       (conversation_id, user_id, thread_id, checkpoint_ns, checkpoint_id,
        parent_checkpoint_id, checkpoint, metadata)
VALUES (:conversation_id, :user_id, :thread_id, :checkpoint_ns, :checkpoint_id,
        :parent_checkpoint_id, :checkpoint::jsonb, :metadata::jsonb)
    ON CONFLICT (conversation_id, checkpoint_ns, checkpoint_id) DO UPDATE
   SET checkpoint = excluded.checkpoint,
       metadata = excluded.metadata;
