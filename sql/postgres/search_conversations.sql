-- Full-text search over one user's messages, grouped by conversation: the
-- conversations with the best-matching messages first (equal ranks: the most
-- recently written to first), each with how many of
-- its messages match, the rank and seq of its best match, and that message's
-- content. :query is a tsquery of folded words, as in search_messages.sql.
-- :user_id  whose conversations to search
-- :query    the tsquery
-- :limit    how many conversations at most
-- Messages not indexed yet are matched on their text, as in search_messages.sql.
-- Index: messages_search (user_id, search_vector); messages_search_pending;
--        conversations primary key.
WITH search AS (
    SELECT CAST(:query AS tsquery) AS terms
), matches AS (
    SELECT m.conversation_id, m.seq, m.content, ts_rank(m.search_vector, s.terms) AS rank
      FROM messages AS m, search AS s
     WHERE m.user_id = :user_id
       AND m.search_vector @@ s.terms
    UNION ALL
    SELECT m.conversation_id, m.seq, m.content, ts_rank(v.search_vector, s.terms) AS rank
      FROM messages AS m
     CROSS JOIN LATERAL (SELECT convstore_message_search_vector(m.content) AS search_vector) AS v
     CROSS JOIN search AS s
     WHERE m.user_id = :user_id
       AND m.search_vector IS NULL
       AND v.search_vector @@ s.terms
), hits AS (
    SELECT m.*,
           count(*) OVER (PARTITION BY m.conversation_id) AS matching_messages,
           row_number() OVER (PARTITION BY m.conversation_id ORDER BY m.rank DESC, m.seq DESC)
               AS place_in_conversation
      FROM matches AS m
)
SELECT c.id, c.user_id, c.title, c.metadata, c.created_at, c.updated_at, c.message_count,
       c.parent_id, c.fork_seq, c.last_seq, c.extra,
       h.matching_messages, h.rank, h.seq AS best_seq, h.content
  FROM hits AS h
  JOIN conversations AS c ON c.id = h.conversation_id
 WHERE h.place_in_conversation = 1
   AND c.user_id = :user_id
 ORDER BY h.rank DESC, c.activity_order DESC NULLS LAST, c.id DESC
 LIMIT :limit;
