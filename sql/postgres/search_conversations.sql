-- Full-text search over one user's messages, grouped by conversation: the
-- conversations with the best-matching messages first (equal ranks: the most
-- recently written to first), each with how many of
-- its messages match, the rank and seq of its best match, and that message's
-- content. :query is a tsquery of folded words, as in search_messages.sql.
-- :user_id  whose conversations to search
-- :query    the tsquery
-- :limit    how many conversations at most
-- Index: messages_search (user_id, search_vector); conversations primary key.
WITH search AS (
    SELECT CAST(:query AS tsquery) AS terms
), hits AS (
    SELECT m.conversation_id, m.seq, m.content,
           ts_rank(m.search_vector, s.terms) AS rank,
           count(*) OVER (PARTITION BY m.conversation_id) AS matching_messages,
           row_number() OVER (PARTITION BY m.conversation_id
                              ORDER BY ts_rank(m.search_vector, s.terms) DESC, m.seq DESC)
               AS place_in_conversation
      FROM messages AS m, search AS s
     WHERE m.user_id = :user_id
       AND m.search_vector @@ s.terms
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
