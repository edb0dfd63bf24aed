CREATE OR REPLACE FUNCTION convstore_message_search_vector(content text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT convstore_search_vector(left(coalesce(content, ''), 100000)) $$;
