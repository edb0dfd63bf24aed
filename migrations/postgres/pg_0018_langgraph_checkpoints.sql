-- LangGraph checkpoints (convstore.integrations.langgraph), kept beside the
-- conversation a LangGraph thread is: each table's rows belong to one
-- conversation and its owner, and go with them (deleting the conversation, or
-- erasing its user, deletes them by cascade; row-level security limits them
-- as it limits messages).
--
-- langgraph_checkpoints: one row per checkpoint of a thread's namespace; the
--   checkpoint is LangGraph's object as JSON without its channel values, which
--   live in langgraph_channel_values (one row per channel version, shared by
--   every checkpoint of that version).
-- langgraph_channel_values: a value as LangGraph's serializer wrote it
--   (value_type, value), or a list stored item by item (value_type
--   'convstore.list'): it keeps the first kept_items items of base_version and
--   adds its own in langgraph_list_items, so a growing message list writes only
--   its new messages.
-- langgraph_writes: the pending writes of a checkpoint's tasks.
--
-- Constraints are named and every unique index holds conversation_id, so a
-- distributed deployment (Citus, by conversation) accepts them.
-- depends: pg_0017_message_kinds

CREATE TABLE IF NOT EXISTS langgraph_checkpoints (
    conversation_id      uuid  NOT NULL,
    user_id              text  NOT NULL,
    thread_id            text  NOT NULL,
    checkpoint_ns        text  NOT NULL,
    checkpoint_id        text  NOT NULL,
    parent_checkpoint_id text,
    checkpoint           jsonb NOT NULL,
    metadata             jsonb NOT NULL,
    CONSTRAINT langgraph_checkpoints_key
        PRIMARY KEY (conversation_id, checkpoint_ns, checkpoint_id),
    CONSTRAINT langgraph_checkpoints_conversation
        FOREIGN KEY (conversation_id, user_id) REFERENCES conversations (id, user_id)
        ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS langgraph_channel_values (
    conversation_id uuid    NOT NULL,
    user_id         text    NOT NULL,
    checkpoint_ns   text    NOT NULL,
    channel         text    NOT NULL,
    version         text    NOT NULL,
    value_type      text    NOT NULL,
    value           bytea,
    base_version    text,
    kept_items      integer,
    item_count      integer,
    CONSTRAINT langgraph_channel_values_key
        PRIMARY KEY (conversation_id, checkpoint_ns, channel, version),
    CONSTRAINT langgraph_channel_values_conversation
        FOREIGN KEY (conversation_id, user_id) REFERENCES conversations (id, user_id)
        ON DELETE CASCADE,
    CONSTRAINT langgraph_channel_values_list_shape
        CHECK ((value_type = 'convstore.list') = (item_count IS NOT NULL AND kept_items IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS langgraph_list_items (
    conversation_id uuid    NOT NULL,
    user_id         text    NOT NULL,
    checkpoint_ns   text    NOT NULL,
    channel         text    NOT NULL,
    version         text    NOT NULL,
    position        integer NOT NULL,
    value_type      text    NOT NULL,
    value           bytea   NOT NULL,
    digest          bytea   NOT NULL,
    CONSTRAINT langgraph_list_items_key
        PRIMARY KEY (conversation_id, checkpoint_ns, channel, version, position),
    CONSTRAINT langgraph_list_items_conversation
        FOREIGN KEY (conversation_id, user_id) REFERENCES conversations (id, user_id)
        ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS langgraph_writes (
    conversation_id uuid    NOT NULL,
    user_id         text    NOT NULL,
    checkpoint_ns   text    NOT NULL,
    checkpoint_id   text    NOT NULL,
    task_id         text    NOT NULL,
    idx             integer NOT NULL,
    task_path       text    NOT NULL,
    channel         text    NOT NULL,
    value_type      text    NOT NULL,
    value           bytea,
    CONSTRAINT langgraph_writes_key
        PRIMARY KEY (conversation_id, checkpoint_ns, checkpoint_id, task_id, idx),
    CONSTRAINT langgraph_writes_conversation
        FOREIGN KEY (conversation_id, user_id) REFERENCES conversations (id, user_id)
        ON DELETE CASCADE
);

ALTER TABLE langgraph_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE langgraph_checkpoints FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS langgraph_checkpoints_of_the_scoped_user ON langgraph_checkpoints;
CREATE POLICY langgraph_checkpoints_of_the_scoped_user ON langgraph_checkpoints
    USING (user_id = coalesce((SELECT convstore_scoped_user()), user_id))
    WITH CHECK (user_id = coalesce((SELECT convstore_scoped_user()), user_id));

ALTER TABLE langgraph_channel_values ENABLE ROW LEVEL SECURITY;
ALTER TABLE langgraph_channel_values FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS langgraph_channel_values_of_the_scoped_user ON langgraph_channel_values;
CREATE POLICY langgraph_channel_values_of_the_scoped_user ON langgraph_channel_values
    USING (user_id = coalesce((SELECT convstore_scoped_user()), user_id))
    WITH CHECK (user_id = coalesce((SELECT convstore_scoped_user()), user_id));

ALTER TABLE langgraph_list_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE langgraph_list_items FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS langgraph_list_items_of_the_scoped_user ON langgraph_list_items;
CREATE POLICY langgraph_list_items_of_the_scoped_user ON langgraph_list_items
    USING (user_id = coalesce((SELECT convstore_scoped_user()), user_id))
    WITH CHECK (user_id = coalesce((SELECT convstore_scoped_user()), user_id));

ALTER TABLE langgraph_writes ENABLE ROW LEVEL SECURITY;
ALTER TABLE langgraph_writes FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS langgraph_writes_of_the_scoped_user ON langgraph_writes;
CREATE POLICY langgraph_writes_of_the_scoped_user ON langgraph_writes
    USING (user_id = coalesce((SELECT convstore_scoped_user()), user_id))
    WITH CHECK (user_id = coalesce((SELECT convstore_scoped_user()), user_id));
