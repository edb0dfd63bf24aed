-- The benchmark's count of the rows a fork may write: every row of the
-- conversations, conversation_ancestors and messages tables. Read before and
-- after one fork, the difference is the rows that fork wrote.
-- Index: none (each table counted in full).
SELECT (SELECT count(*) FROM conversations) AS conversations,
       (SELECT count(*) FROM conversation_ancestors) AS conversation_ancestors,
       (SELECT count(*) FROM messages) AS messages;
