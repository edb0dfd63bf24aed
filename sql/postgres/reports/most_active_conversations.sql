-- Report: the conversations with the most messages since :since, with their
-- owner, title, reported tokens and last message time; among equally busy
-- ones, the one written to last first (write order, not a timestamp).
-- :since  an ISO 8601 timestamp; without a zone (a bare date too) it is UTC,
--         whatever the session's TimeZone
-- :limit  how many conversations at most
-- Index: none; reads the messages since :since.
WITH given (name, value) AS (
    VALUES ('since', :since::text)
), bounds AS (
    -- A zone (Z, +02:00, a name) after the date is that instant; none is UTC
    -- (:since::timestamptz would read the session's zone, and '...Z'::timestamp
    -- would drop the Z). A decimal comma is a point, and digits past the
    -- microsecond are dropped, not rounded, as convstore and SQLite read them.
    SELECT name,
           CASE WHEN substr(value, 12) ~ '[A-Za-z+-]' THEN value::timestamptz
                ELSE value::timestamp AT TIME ZONE 'UTC' END AS at
      FROM (SELECT name,
                   regexp_replace(replace(value, ',', '.'), '(\.[0-9]{6})[0-9]+', '\1') AS value
              FROM given) AS cleaned
)
SELECT c.id AS conversation_id, c.user_id, c.title,
       count(*) AS messages,
       coalesce(sum(m.tokens) FILTER (WHERE NOT m.tokens_estimated), 0) AS tokens,
       max(m.created_at) AS last_message_at
  FROM messages AS m
  JOIN conversations AS c ON c.id = m.conversation_id
 WHERE m.created_at >= (SELECT at FROM bounds WHERE name = 'since')
 GROUP BY c.id, c.user_id, c.title
 ORDER BY messages DESC, max(m.write_order) DESC NULLS LAST, conversation_id
 LIMIT :limit;
