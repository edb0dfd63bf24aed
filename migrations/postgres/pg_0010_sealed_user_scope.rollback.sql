DROP POLICY IF EXISTS messages_of_the_scoped_user ON messages;
CREATE POLICY messages_of_the_scoped_user ON messages
    USING (coalesce(current_setting('convstore.user_id', true), '') IN ('', user_id))
    WITH CHECK (coalesce(current_setting('convstore.user_id', true), '') IN ('', user_id));
DROP POLICY IF EXISTS conversations_of_the_scoped_user ON conversations;
CREATE POLICY conversations_of_the_scoped_user ON conversations
    USING (coalesce(current_setting('convstore.user_id', true), '') IN ('', user_id))
    WITH CHECK (coalesce(current_setting('convstore.user_id', true), '') IN ('', user_id));
ALTER TABLE messages NO FORCE ROW LEVEL SECURITY;
ALTER TABLE conversations NO FORCE ROW LEVEL SECURITY;
DROP FUNCTION IF EXISTS convstore_scoped_user();
DROP FUNCTION IF EXISTS convstore_set_user_scope(text, text);
DROP FUNCTION IF EXISTS convstore_claim_scope_key();
DROP FUNCTION IF EXISTS convstore_this_session();
DROP TABLE IF EXISTS convstore_session_scopes;
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_conversation_owner;
