DROP POLICY IF EXISTS messages_of_the_scoped_user ON messages;
DROP POLICY IF EXISTS conversations_of_the_scoped_user ON conversations;
ALTER TABLE messages DISABLE ROW LEVEL SECURITY;
ALTER TABLE conversations DISABLE ROW LEVEL SECURITY;
