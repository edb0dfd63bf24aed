-- The bytes the database's tables, their indexes and their TOAST hold (the
-- main fork of each: not the free-space and visibility maps, which grow in
-- steps of several pages and would hide small changes).
-- Index: none.
SELECT sum(pg_relation_size(c.oid, 'main')) AS bytes
  FROM pg_class AS c
 WHERE c.relnamespace IN ('public'::regnamespace, 'pg_toast'::regnamespace)
   AND c.relkind IN ('r', 'i', 't');
