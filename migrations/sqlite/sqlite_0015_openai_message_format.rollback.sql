-- Back to the table of sqlite_0014, rebuilt as the migration rebuilt it.
-- Keeps every row. The legacy function results (role 'function'), which the
-- older table cannot hold, become tool messages (with their name, and no
-- tool_call_id). Messages given as parts keep their text only; the other new
-- fields and the estimate marks are lost (an estimate stays as the count).

CREATE TABLE messages_rebuilt (
    conversation_id  TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL CHECK (seq > 0),
    user_id          TEXT    NOT NULL,
    role             TEXT    NOT NULL
                             CHECK (role IN ('system', 'developer', 'user', 'assistant', 'tool')),
    content          TEXT,
    tool_calls       TEXT    CHECK (tool_calls IS NULL OR
                                    CASE WHEN json_valid(tool_calls)
                                         THEN json_type(tool_calls) = 'array' ELSE 0 END),
    tool_call_id     TEXT,
    name             TEXT,
    tokens           INTEGER CHECK (tokens >= 0),
    latency_ms       INTEGER CHECK (latency_ms >= 0),
    tokens_before    INTEGER NOT NULL CHECK (tokens_before >= 0),
    metadata         TEXT    NOT NULL DEFAULT '{}'
                             CHECK (CASE WHEN json_valid(metadata)
                                         THEN json_type(metadata) = 'object' ELSE 0 END),
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    pinned           INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    idempotency_key  TEXT    CHECK (idempotency_key <> ''),
    write_order      INTEGER,
    kind             TEXT    NOT NULL DEFAULT 'message'
                             CONSTRAINT messages_kind_format
                             CHECK (length(kind) BETWEEN 1 AND 64
                                    AND kind NOT GLOB '*[^a-z0-9_.:-]*'),
    payload          TEXT    CONSTRAINT messages_payload_shape
                             CHECK (payload IS NULL OR (json_valid(payload)
                                    AND json_type(payload) IN ('object', 'array'))),
    fingerprint      TEXT,
    -- Also the index for every per-conversation read: by (conversation_id, seq).
    PRIMARY KEY (conversation_id, seq)
) STRICT;

INSERT INTO messages_rebuilt (rowid, conversation_id, seq, user_id, role, content, tool_calls,
                              tool_call_id, name, tokens, latency_ms, tokens_before, metadata,
                              created_at, pinned, idempotency_key, write_order, kind, payload,
                              fingerprint)
SELECT rowid, conversation_id, seq, user_id,
       CASE role WHEN 'function' THEN 'tool' ELSE role END, content, tool_calls,
       tool_call_id, name, tokens, latency_ms, tokens_before, metadata,
       created_at, pinned, idempotency_key, write_order, kind, payload,
       fingerprint
  FROM messages;

DROP TABLE messages;

ALTER TABLE messages_rebuilt RENAME TO messages;

CREATE INDEX messages_context_start
    ON messages (conversation_id, tokens_before, seq) WHERE pinned = 0;

CREATE INDEX messages_pinned
    ON messages (conversation_id, seq) WHERE pinned = 1;

CREATE UNIQUE INDEX messages_idempotency_key
    ON messages (conversation_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE INDEX messages_user_write_order
    ON messages (user_id, write_order DESC);

CREATE TRIGGER messages_owner_is_conversation_owner
BEFORE INSERT ON messages
WHEN NEW.user_id IS NOT (SELECT user_id FROM conversations WHERE id = NEW.conversation_id)
BEGIN
    SELECT RAISE(ABORT, 'a message''s user_id must be its conversation''s owner');
END;

CREATE TRIGGER messages_keep_conversation_owner
BEFORE UPDATE OF conversation_id, user_id ON messages
WHEN NEW.user_id IS NOT (SELECT user_id FROM conversations WHERE id = NEW.conversation_id)
BEGIN
    SELECT RAISE(ABORT, 'a message''s user_id must be its conversation''s owner');
END;

CREATE TRIGGER messages_fts_insert
AFTER INSERT ON messages
BEGIN
    INSERT INTO messages_fts (rowid, content, owner)
    VALUES (NEW.rowid, convstore_search_text(substr(NEW.content, 1, 100000)),
            printf('u%064d%s', 0, hex(NEW.user_id)));
END;

CREATE TRIGGER messages_fts_delete
AFTER DELETE ON messages
BEGIN
    DELETE FROM messages_fts WHERE rowid = OLD.rowid;
END;

CREATE TRIGGER messages_fts_update
AFTER UPDATE OF content, user_id ON messages
BEGIN
    DELETE FROM messages_fts WHERE rowid = OLD.rowid;
    INSERT INTO messages_fts (rowid, content, owner)
    VALUES (NEW.rowid, convstore_search_text(substr(NEW.content, 1, 100000)),
            printf('u%064d%s', 0, hex(NEW.user_id)));
END;

CREATE TRIGGER messages_number_write
AFTER INSERT ON messages
BEGIN
    UPDATE write_order SET last = last + 1;
    UPDATE messages
       SET write_order = (SELECT last FROM write_order)
     WHERE rowid = NEW.rowid;
    UPDATE conversations
       SET activity_order = (SELECT last FROM write_order)
     WHERE id = NEW.conversation_id;
END;

CREATE TRIGGER messages_widen_created_at
AFTER INSERT ON messages
WHEN length(NEW.created_at) = 24
BEGIN
    UPDATE messages
       SET created_at = substr(created_at, 1, 23) || '000Z'
     WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER messages_advance_conversation
AFTER INSERT ON messages
BEGIN
    UPDATE conversations
       SET last_seq = max(last_seq, NEW.seq),
           message_count = message_count + 1,
           total_tokens = total_tokens
                          + CASE WHEN NEW.pinned THEN 0 ELSE coalesce(NEW.tokens, 100) END,
           pinned_tokens = pinned_tokens
                           + CASE WHEN NEW.pinned THEN coalesce(NEW.tokens, 100) ELSE 0 END,
           updated_at = max(updated_at, NEW.created_at)
     WHERE id = NEW.conversation_id;
END;
