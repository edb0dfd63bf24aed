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
-- Index: conversations primary key.
INSERT INTO conversations (id, user_id, title, metadata, extra)
VALUES (:id, :user_id, :title, :metadata::jsonb, :extra::jsonb)
-- No conflict target: a concurrent insert of the same id meets the unique
-- index conversations_id_owner too, and a conflict on an index that is not
-- the target raises instead of doing nothing.
ON CONFLICT DO NOTHING
RETURNING id, user_id, title, metadata, created_at, updated_at,
          message_count, parent_id, fork_seq, last_seq, extra;
