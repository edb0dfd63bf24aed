-- Clears what SQL of the caller's own may have left on a session that
-- Store.connection() lent it: settings back to the session's defaults,
-- prepared statements, temporary objects, cursors, listeners and advisory
-- locks gone (psycopg forgets its prepared statements when it sees this
-- command). Run outside a transaction, before the session's user scope is
-- reset and it serves another call. Never prepared (it cannot be).
-- Index: none.
DISCARD ALL;
