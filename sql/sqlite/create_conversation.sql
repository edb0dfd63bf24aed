-- Creates a conversation and returns it; returns no row, and aborts nothing, if
-- a conversation with this id exists already: the caller's earlier attempt whose
-- answer was lost, or for a chosen id or name, an existing conversation (on
-- PostgreSQL, an insert of the same id by a transaction still open is waited
-- for). The store then reads the existing one (ensure_conversation) or refuses.
-- :id        the new conversation's id (a UUID chosen by the caller)
-- :user_id   its owner
-- :title     a title, or NULL
-- :metadata  a JSON object, as text
-- :extra     the fields convstore has no column for (a JSON object, as text)
-- Timestamps are UTC text with microseconds (migration sqlite_0009); SQLite's
-- clock has milliseconds, so the last three digits of 'now' are zeros.
-- Index: conversations primary key.
INSERT INTO conversations (id, user_id, title, metadata, extra, created_at, updated_at)
VALUES (:id, :user_id, :title, :metadata, :extra,
        strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z', strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
ON CONFLICT (id) DO NOTHING
RETURNING id, user_id, title, metadata, created_at, updated_at,
          message_count, parent_id, fork_seq, last_seq, extra;
