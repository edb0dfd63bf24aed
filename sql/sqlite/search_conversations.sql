-- Full-text search over one user's messages, grouped by conversation: the
-- conversations with the best-matching messages first (equal ranks: the most
-- recently written to first), each with how many of
-- its messages match, the rank (higher is better) and seq of its best match,
-- and that message's content.
-- :query is an FTS5 expression built by convstore, as in search_messages.sql.
-- :user_id  whose conversations to search
-- :query    the FTS5 expression
-- :limit    how many conversations at most
-- Messages not indexed yet are matched on their text, as in search_messages.sql.
-- Index: messages_fts (FTS5, owner token and folded content);
--        messages_search_pending_user; conversations primary key.
WITH hits AS (
    SELECT m.conversation_id, m.seq, m.content,
           -bm25(messages_fts, 1.0, 0.0) AS rank
      FROM messages_fts
      JOIN messages AS m ON m.rowid = messages_fts.rowid
     WHERE messages_fts MATCH printf('owner:u%064d%s', 0, hex(:user_id)) || ' AND content : (' || :query || ')'
       AND m.user_id = :user_id
    UNION ALL
    SELECT m.conversation_id, m.seq, m.content, 0.0 AS rank
      FROM messages_search_pending AS p
     CROSS JOIN messages AS m  -- the few unindexed first, never every message of the user
        ON m.rowid = p.message_rowid
     WHERE p.user_id = :user_id
       AND m.user_id = :user_id
       AND convstore_search_matches(convstore_search_text(substr(m.content, 1, 100000)), :query)
), ranked AS (
    SELECT hits.*,
           count(*) OVER (PARTITION BY conversation_id) AS matching_messages,
           row_number() OVER (PARTITION BY conversation_id ORDER BY rank DESC, seq DESC)
               AS place_in_conversation
      FROM hits
)
SELECT c.id, c.user_id, c.title, c.metadata, c.created_at, c.updated_at, c.message_count,
       c.parent_id, c.fork_seq, c.last_seq, c.extra,
       r.matching_messages, r.rank, r.seq AS best_seq, r.content
  FROM ranked AS r
  JOIN conversations AS c ON c.id = r.conversation_id
 WHERE r.place_in_conversation = 1
   AND c.user_id = :user_id
 ORDER BY r.rank DESC, c.activity_order DESC, c.id DESC
 LIMIT :limit;
