-- Transfer, destination side (PostgreSQL): new conversations, counters,
-- place in the order of writes, place in a tree of branches (a branch is
-- copied after its parent) and extra (JSON text) included.
-- Index: conversations primary key and its other indexes are maintained.
COPY conversations (id, user_id, title, metadata, created_at, updated_at, last_seq,
                    message_count, total_tokens, pinned_tokens, activity_order,
                    parent_id, fork_seq, inherited_messages, active_branch_id, extra)
FROM STDIN;
