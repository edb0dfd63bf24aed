-- Indexes for search the messages that are not yet (noted in
-- messages_search_pending: appends leave them to this statement, migration
-- sqlite_0018) and returns one row per message indexed. Deleting a note
-- indexes its message (trigger messages_search_indexed). SQLite has one
-- writer at a time, so nothing is skipped.
-- :user_id  whose messages to index, or NULL for every user's
-- :limit    how many messages at most
-- Index: messages_search_pending_user (a user's; the other branch is skipped
--        when :user_id is given); messages rowid for the trigger.
DELETE FROM messages_search_pending
 WHERE message_rowid IN (SELECT message_rowid
                           FROM messages_search_pending
                          WHERE user_id = :user_id
                          UNION ALL
                         SELECT message_rowid
                           FROM messages_search_pending
                          WHERE :user_id IS NULL
                          LIMIT :limit)
RETURNING message_rowid AS indexed;
