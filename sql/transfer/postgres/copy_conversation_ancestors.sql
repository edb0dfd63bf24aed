-- Transfer, destination side (PostgreSQL): the ancestry of new branches,
-- copied with them (in the same transaction, after them).
-- Index: conversation_ancestors primary key and its other index are maintained.
COPY conversation_ancestors (conversation_id, ancestor_id, user_id, depth, after_seq,
                             through_seq, tokens_through)
FROM STDIN;
