-- Test only: what the search index is given for :text (the folding function
-- convstore_search_text, a SQL function on PostgreSQL, registered by
-- convstore on every SQLite connection).
-- :text  any text
SELECT convstore_search_text(:text) AS folded;
