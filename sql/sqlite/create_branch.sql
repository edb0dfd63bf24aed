-- Creates a branch of :parent_id that shares its history through :fork_seq,
-- with the counters of that history (its own messages will continue from
-- there), and returns it; no row, and aborts nothing, if the id is taken.
-- The values come from fork_point.sql, run under the parent's lock.
-- :id                     the branch's id (a UUID chosen by the caller)
-- :user_id                its owner: the parent's
-- :title                  a title, or NULL
-- :metadata               a JSON object, as text
-- :extra                  the fields convstore has no column for (a JSON object,
--                         as text); a fork gives its parent's
-- :parent_id              the conversation it is forked from
-- :fork_seq               the last seq it shares
-- :messages_through       how many messages it shares
-- :tokens_through         their running total of unpinned counted tokens
-- :pinned_tokens_through  the counted tokens of the pinned ones
-- :created_at             when it was created (an import's time), or NULL for now
-- Index: conversations primary key.
INSERT INTO conversations (id, user_id, title, metadata, extra, parent_id, fork_seq, last_seq,
                           message_count, inherited_messages, total_tokens, pinned_tokens,
                           created_at, updated_at)
VALUES (:id, :user_id, :title, :metadata, :extra, :parent_id, :fork_seq, :fork_seq,
        :messages_through, :messages_through, :tokens_through, :pinned_tokens_through,
        coalesce(:created_at, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'),
        coalesce(:created_at, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'))
ON CONFLICT DO NOTHING
RETURNING id, user_id, title, metadata, created_at, updated_at,
          message_count, parent_id, fork_seq, last_seq, extra;
