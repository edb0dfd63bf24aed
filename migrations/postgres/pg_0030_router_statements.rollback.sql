DROP FUNCTION IF EXISTS convstore_conversation(uuid, text);
DROP FUNCTION IF EXISTS convstore_conversation_messages(uuid, text, bigint, bigint, boolean, bigint);
DROP FUNCTION IF EXISTS convstore_pinned_messages(uuid, text, bigint);
DROP FUNCTION IF EXISTS convstore_context_messages(uuid, text, bigint, boolean);
DROP FUNCTION IF EXISTS convstore_lock_tree_root(uuid, text);
DROP FUNCTION IF EXISTS convstore_tree_root(uuid);
DROP FUNCTION IF EXISTS convstore_set_active_branch(uuid, text);
DROP FUNCTION IF EXISTS convstore_lock_purge_candidates(timestamptz, bigint);
DROP FUNCTION IF EXISTS convstore_lock_user_conversations(text);
