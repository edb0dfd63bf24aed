-- Row-level security: a session that names a user in the setting
-- convstore.user_id (as the user-scoped views do, per transaction) sees and
-- writes only that user's conversations and messages, even through raw SQL.
-- A session that names no user sees every row, as before. The tables' owner
-- and superusers bypass these policies; run applications as another role.
-- depends: pg_0005_idempotency_and_age_indexes

ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS conversations_of_the_scoped_user ON conversations;
CREATE POLICY conversations_of_the_scoped_user ON conversations
    USING (coalesce(current_setting('convstore.user_id', true), '') IN ('', user_id))
    WITH CHECK (coalesce(current_setting('convstore.user_id', true), '') IN ('', user_id));

DROP POLICY IF EXISTS messages_of_the_scoped_user ON messages;
CREATE POLICY messages_of_the_scoped_user ON messages
    USING (coalesce(current_setting('convstore.user_id', true), '') IN ('', user_id))
    WITH CHECK (coalesce(current_setting('convstore.user_id', true), '') IN ('', user_id));
