-- Report: conversations active since :since that have messages but no
-- assistant reply yet, most recently active first (write order, not a
-- timestamp).
-- :since  an ISO 8601 timestamp (Z, +HH:MM or no zone, which is UTC), e.g.
--         '2026-11-01', '2026-11-01T02:00:00.5+02:00'
-- :limit  how many conversations at most
-- Index: conversations_updated_at for the period; messages primary key per conversation.
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
SELECT c.id AS conversation_id, c.user_id, c.title, c.message_count, c.updated_at
  FROM conversations AS c
 WHERE c.updated_at >= (SELECT at FROM bounds WHERE name = 'since')
   AND c.message_count > 0
   AND NOT EXISTS (SELECT 1
                     FROM messages AS m
                    WHERE m.conversation_id = c.id
                      AND m.role = 'assistant')
 ORDER BY c.activity_order DESC, c.id
 LIMIT :limit;
