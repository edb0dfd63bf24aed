-- Report: the conversations with the most messages since :since, with their
-- owner, title, reported tokens and last message time; among equally busy
-- ones, the one written to last first (write order, not a timestamp).
-- :since  an ISO 8601 timestamp (Z, +HH:MM or no zone, which is UTC), e.g.
--         '2026-11-01', '2026-11-01T02:00:00.5+02:00'
-- :limit  how many conversations at most
-- Index: none; reads the messages since :since.
WITH given (name, value) AS (
    VALUES ('since', upper(:since))
), split AS (
    -- From character 20 on: the fraction of a second ('.' or ',' and digits),
    -- then the zone ('Z', '+02:00' or nothing).
    SELECT name, value, substr(value, 20) AS tail,
           ltrim(substr(value, 20), '.,0123456789') AS zone
      FROM given
), bounds AS (
    -- As stored: 'YYYY-MM-DDTHH:MM:SS.ffffffZ' in UTC, compared as text.
    -- strftime converts the seconds and zone to UTC (no zone is UTC); the
    -- fraction is copied, as strftime would round it to milliseconds.
    SELECT name,
           strftime('%Y-%m-%dT%H:%M:%S', substr(value, 1, 19) || zone) || '.'
           || substr(ltrim(substr(tail, 1, length(tail) - length(zone)), '.,') || '000000', 1, 6)
           || 'Z' AS at
      FROM split
)
SELECT c.id AS conversation_id, c.user_id, c.title,
       count(*) AS messages,
       coalesce(sum(m.tokens) FILTER (WHERE NOT m.tokens_estimated), 0) AS tokens,
       max(m.created_at) AS last_message_at
  FROM messages AS m
  JOIN conversations AS c ON c.id = m.conversation_id
 WHERE m.created_at >= (SELECT at FROM bounds WHERE name = 'since')
 GROUP BY c.id, c.user_id, c.title
 ORDER BY messages DESC, max(m.write_order) DESC, conversation_id
 LIMIT :limit;
