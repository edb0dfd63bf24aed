-- Full-text search over one user's messages: the best matches first, each with
-- its conversation's title, a rank and a snippet with the matched words marked
-- «like this». :query is what a user types into a search box (words, "quoted
-- phrases", -excluded, or), parsed by websearch_to_tsquery with the session's
-- default_text_search_config; no input makes it fail.
-- :user_id          whose messages to search
-- :query            the search box text
-- :conversation_id  limit to one conversation, or NULL for all
-- :limit            how many messages at most
-- Index: messages_search (user_id, search_vector), one GIN scan for both.
WITH search AS (
    SELECT websearch_to_tsquery(:query) AS terms
), hits AS (
    SELECT m.conversation_id, m.seq, m.role, m.content, m.created_at,
           ts_rank(m.search_vector, s.terms) AS rank
      FROM messages AS m, search AS s
     WHERE m.user_id = :user_id
       AND m.search_vector @@ s.terms
       AND (:conversation_id::uuid IS NULL OR m.conversation_id = :conversation_id)
     ORDER BY rank DESC, m.created_at DESC, m.seq DESC
     LIMIT :limit
)
SELECT h.conversation_id,
       (SELECT title FROM conversations WHERE id = h.conversation_id) AS title,
       h.seq, h.role, h.content, h.rank,
       ts_headline(h.content, s.terms,
                   'StartSel=«, StopSel=», MaxWords=24, MinWords=8, MaxFragments=2') AS snippet,
       h.created_at
  FROM hits AS h, search AS s
 ORDER BY h.rank DESC, h.created_at DESC, h.seq DESC;
