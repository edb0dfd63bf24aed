DROP FUNCTION IF EXISTS convstore_set_local_user_scope(text);
