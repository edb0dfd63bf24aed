-- The distinct widths of the stored timestamps (SQLite), one row per
-- combination: every row should have the same.
-- Index: none; reads both tables.
SELECT DISTINCT length(c.created_at) AS created_width, length(c.updated_at) AS updated_width,
       length(m.created_at) AS message_width
  FROM conversations AS c
  LEFT JOIN messages AS m ON m.conversation_id = c.id
 ORDER BY 1, 2, 3;
