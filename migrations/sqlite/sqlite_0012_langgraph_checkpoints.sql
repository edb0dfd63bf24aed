-- LangGraph checkpoints (convstore.integrations.langgraph), kept beside the
-- conversation a LangGraph thread is: each table's rows belong to one
-- conversation and go with it (deleting the conversation, or erasing its user,
-- deletes them by cascade). user_id is the conversation's owner, copied as
-- messages copy it.
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
-- depends: sqlite_0011_counters_never_move_back

CREATE TABLE IF NOT EXISTS langgraph_checkpoints (
    conversation_id      TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id              TEXT NOT NULL,
    thread_id            TEXT NOT NULL,
    checkpoint_ns        TEXT NOT NULL,
    checkpoint_id        TEXT NOT NULL,
    parent_checkpoint_id TEXT,
    checkpoint           TEXT NOT NULL CHECK (json_valid(checkpoint)),
    metadata             TEXT NOT NULL CHECK (json_valid(metadata)),
    PRIMARY KEY (conversation_id, checkpoint_ns, checkpoint_id)
) STRICT;

CREATE TABLE IF NOT EXISTS langgraph_channel_values (
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         TEXT    NOT NULL,
    checkpoint_ns   TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    version         TEXT    NOT NULL,
    value_type      TEXT    NOT NULL,
    value           BLOB,
    base_version    TEXT,
    kept_items      INTEGER,
    item_count      INTEGER,
    PRIMARY KEY (conversation_id, checkpoint_ns, channel, version),
    CHECK ((value_type = 'convstore.list') = (item_count IS NOT NULL AND kept_items IS NOT NULL))
) STRICT;

CREATE TABLE IF NOT EXISTS langgraph_list_items (
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         TEXT    NOT NULL,
    checkpoint_ns   TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    version         TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    value_type      TEXT    NOT NULL,
    value           BLOB    NOT NULL,
    digest          BLOB    NOT NULL,
    PRIMARY KEY (conversation_id, checkpoint_ns, channel, version, position)
) STRICT;

CREATE TABLE IF NOT EXISTS langgraph_writes (
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         TEXT    NOT NULL,
    checkpoint_ns   TEXT    NOT NULL,
    checkpoint_id   TEXT    NOT NULL,
    task_id         TEXT    NOT NULL,
    idx             INTEGER NOT NULL,
    task_path       TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    value_type      TEXT    NOT NULL,
    value           BLOB,
    PRIMARY KEY (conversation_id, checkpoint_ns, checkpoint_id, task_id, idx)
) STRICT;
