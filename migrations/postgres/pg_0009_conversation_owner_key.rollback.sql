DROP INDEX CONCURRENTLY IF EXISTS conversations_id_owner;
