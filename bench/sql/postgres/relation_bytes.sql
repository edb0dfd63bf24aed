-- The bytes the named tables hold, each with its indexes and TOAST
-- (pg_total_relation_size): the attachments benchmark's storage figures.
-- :tables  a JSON array of table names
-- Index: none.
SELECT sum(pg_total_relation_size(t.name::regclass))::bigint AS bytes
  FROM jsonb_array_elements_text(:tables::jsonb) AS t(name);
