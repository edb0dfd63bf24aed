-- COPY rows of (id, user_id, title) into conversations (a test of the runner's copy_rows).
-- Parameters: none; the rows are sent as COPY data.
-- Index: the primary key, checked per row.
COPY conversations (id, user_id, title) FROM STDIN;
