-- Full-text search over one user's messages: the best matches first, each with
-- its conversation's title and a rank (higher is better); equal ranks newest
-- written first (write order, never a timestamp, which can tie). :query is a
-- tsquery of folded words, which convstore builds from what the user typed
-- (words, "quoted phrases", -excluded, or; README "Search, metadata and
-- reports"): by hand, write lower-case words without diacritics, e.g.
-- 'tile' <-> 'museum' & !'closed'.
-- :user_id          whose messages to search
-- :query            the tsquery
-- :conversation_id  limit to one conversation, or NULL for all
-- :limit            how many messages at most
-- Index: messages_search (user_id, search_vector), one GIN scan for both.
WITH search AS (
    SELECT CAST(:query AS tsquery) AS terms
), hits AS (
    SELECT m.conversation_id, m.seq, m.role, m.content, m.created_at, m.write_order,
           ts_rank(m.search_vector, s.terms) AS rank
      FROM messages AS m, search AS s
     WHERE m.user_id = :user_id
       AND m.search_vector @@ s.terms
       AND (:conversation_id::uuid IS NULL OR m.conversation_id = :conversation_id)
     ORDER BY rank DESC, m.write_order DESC NULLS LAST
     LIMIT :limit
)
SELECT h.conversation_id,
       (SELECT title FROM conversations WHERE id = h.conversation_id) AS title,
       h.seq, h.role, h.content, h.rank, h.created_at
  FROM hits AS h
 ORDER BY h.rank DESC, h.write_order DESC NULLS LAST;
