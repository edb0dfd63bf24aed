-- Full-text search over one user's messages: the best matches first, each with
-- its conversation's title and a rank (higher is better), and branch_ids, the
-- branches that share it (a message is stored, and found, once: in the
-- conversation that wrote it); equal ranks newest
-- written first (write order, never a timestamp, which can tie). :query is an FTS5
-- expression that convstore builds from what the user typed (words, "quoted
-- phrases", -excluded, or), of folded words in quoted strings (README "Search,
-- metadata and reports"), so no input is read as FTS5 syntax. It is matched in the content
-- column only, and the user's owner token is ANDed in, so FTS5 ranks only
-- this user's matches.
-- :user_id          whose messages to search
-- :query            the FTS5 expression
-- :conversation_id  limit to one conversation (a branch: with the messages it
--                   shares), or NULL for all
-- :limit            how many messages at most
-- Messages not indexed yet (noted in messages_search_pending:
-- index_pending_search.sql, which each search runs first, indexes them; a
-- file opened read-only cannot) are matched on their folded text by
-- convstore_search_matches, as the index would match them, and ranked 0,
-- after the indexed matches: every committed message is found.
-- Index: messages_fts (FTS5, owner token and folded content);
--        messages_search_pending_user (the messages not indexed yet);
--        conversation_ancestors_by_ancestor (branch_ids).
WITH matches AS (
    SELECT m.conversation_id, m.seq, m.role, m.content, m.created_at, m.write_order,
           -bm25(messages_fts, 1.0, 0.0) AS rank
      FROM messages_fts
      JOIN messages AS m ON m.rowid = messages_fts.rowid
     WHERE messages_fts MATCH printf('owner:u%064d%s', 0, hex(:user_id)) || ' AND content : (' || :query || ')'
       AND m.user_id = :user_id
    UNION ALL
    SELECT m.conversation_id, m.seq, m.role, m.content, m.created_at, m.write_order,
           0.0 AS rank
      FROM messages_search_pending AS p
     CROSS JOIN messages AS m  -- the few unindexed first, never every message of the user
        ON m.rowid = p.message_rowid
     WHERE p.user_id = :user_id
       AND m.user_id = :user_id
       AND convstore_search_matches(convstore_search_text(substr(m.content, 1, 100000)), :query)
), hits AS (
    SELECT *
      FROM matches AS m
     WHERE :conversation_id IS NULL
        OR m.conversation_id = :conversation_id
        OR EXISTS (SELECT 1
                     FROM conversation_ancestors AS a
                    WHERE a.conversation_id = :conversation_id
                      AND a.ancestor_id = m.conversation_id
                      AND m.seq > a.after_seq
                      AND m.seq <= a.through_seq)
     ORDER BY m.rank DESC, m.write_order DESC
     LIMIT :limit
)
SELECT h.conversation_id,
       (SELECT title FROM conversations WHERE id = h.conversation_id) AS title,
       h.seq, h.role, h.content, h.rank, h.created_at,
       json_group_array(b.conversation_id)
           FILTER (WHERE b.conversation_id IS NOT NULL) AS branch_ids
  FROM hits AS h
  -- The branches that share the message (forked at or after it).
  LEFT JOIN conversation_ancestors AS b
    ON b.ancestor_id = h.conversation_id
   AND b.through_seq >= h.seq
 GROUP BY h.conversation_id, h.seq, h.role, h.content, h.rank, h.created_at, h.write_order
 ORDER BY h.rank DESC, h.write_order DESC;
