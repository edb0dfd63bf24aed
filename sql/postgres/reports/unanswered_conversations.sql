-- Report: conversations active since :since that have messages but no
-- assistant reply yet, most recently active first (write order, not a
-- timestamp).
-- :since  an ISO 8601 timestamp; without a zone (a bare date too) it is UTC,
--         whatever the session's TimeZone
-- :limit  how many conversations at most
-- Index: conversations_updated_at for the period; messages primary key per conversation.
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
SELECT c.id AS conversation_id, c.user_id, c.title, c.message_count, c.updated_at
  FROM conversations AS c
 WHERE c.updated_at >= (SELECT at FROM bounds WHERE name = 'since')
   AND c.message_count > 0
   AND NOT EXISTS (SELECT 1
                     FROM messages AS m
                    WHERE m.conversation_id = c.id
                      AND m.role = 'assistant')
 ORDER BY c.activity_order DESC NULLS LAST, c.id
 LIMIT :limit;
