-- Full-text search over one user's messages: the best matches first, each with
-- its conversation's title and a rank (higher is better), and branch_ids, the
-- branches that share it (a message is stored, and found, once: in the
-- conversation that wrote it); equal ranks newest
-- written first (write order, never a timestamp, which can tie). :query is a
-- tsquery of folded words, which convstore builds from what the user typed
-- (words, "quoted phrases", -excluded, or; README "Search, metadata and
-- reports"): by hand, write lower-case words without diacritics, e.g.
-- 'tile' <-> 'museum' & !'closed'.
-- :user_id          whose messages to search
-- :query            the tsquery
-- :conversation_id  limit to one conversation (a branch: with the messages it
--                   shares), or NULL for all
-- :limit            how many messages at most
-- Messages not indexed yet (search_vector NULL: index_pending_search.sql,
-- which each search runs first, skips those another session is indexing) are
-- matched and ranked on their text, as the index would hold it, so every
-- committed message is found.
-- No subquery here refers to a row of the query around it on a distributed
-- table: Citus refuses that ("correlated subqueries are not supported when
-- the FROM clause contains a CTE or subquery"); `shared` is a CTE of its own,
-- which Citus reads from the conversation's shard first.
-- Index: messages_search (user_id, search_vector), one GIN scan for both;
--        messages_search_pending (the messages not indexed yet);
--        conversation_ancestors_by_ancestor (branch_ids).
WITH search AS (
    SELECT CAST(:query AS tsquery) AS terms
), matches AS (
    SELECT m.conversation_id, m.seq, m.role, m.content, m.created_at, m.write_order,
           ts_rank(m.search_vector, s.terms) AS rank
      FROM messages AS m, search AS s
     WHERE m.user_id = :user_id
       AND m.search_vector @@ s.terms
    UNION ALL
    SELECT m.conversation_id, m.seq, m.role, m.content, m.created_at, m.write_order,
           ts_rank(v.search_vector, s.terms) AS rank
      FROM messages AS m
     CROSS JOIN LATERAL (SELECT convstore_message_search_vector(m.content) AS search_vector) AS v
     CROSS JOIN search AS s
     WHERE m.user_id = :user_id
       AND m.search_vector IS NULL
       AND v.search_vector @@ s.terms
), shared AS (
    -- What the conversation shares with its ancestors.
    SELECT ancestor_id, after_seq, through_seq
      FROM conversation_ancestors
     WHERE conversation_id = :conversation_id
), hits AS (
    SELECT *
      FROM matches AS m
     WHERE :conversation_id::uuid IS NULL
        OR m.conversation_id = :conversation_id
        OR EXISTS (SELECT 1
                     FROM shared AS a
                    WHERE a.ancestor_id = m.conversation_id
                      AND m.seq > a.after_seq
                      AND m.seq <= a.through_seq)
     ORDER BY m.rank DESC, m.write_order DESC NULLS LAST
     LIMIT :limit
), sharing AS (
    -- The branches of the hits' conversations: a CTE of its own, which Citus
    -- reads from every shard (ancestor_id is not the distribution column).
    SELECT b.ancestor_id, b.through_seq, b.conversation_id
      FROM conversation_ancestors AS b
     WHERE b.ancestor_id IN (SELECT conversation_id FROM hits)
)
SELECT h.conversation_id, c.title,
       h.seq, h.role, h.content, h.rank, h.created_at,
       coalesce(jsonb_agg(b.conversation_id ORDER BY b.conversation_id)
                         FILTER (WHERE b.conversation_id IS NOT NULL), '[]') AS branch_ids
  FROM hits AS h
  JOIN conversations AS c
    ON c.id = h.conversation_id
  -- The branches that share the message (forked at or after it).
  LEFT JOIN sharing AS b
    ON b.ancestor_id = h.conversation_id
   AND b.through_seq >= h.seq
 GROUP BY h.conversation_id, c.title, h.seq, h.role, h.content, h.rank, h.created_at,
          h.write_order
 ORDER BY h.rank DESC, h.write_order DESC NULLS LAST;
