-- conversation_segments: where each conversation's history is stored, one
-- row per segment: its own messages (stored_in = the conversation itself,
-- seqs after its fork_seq, through its last_seq) and, for a branch, the
-- messages of each ancestor it shares (stored_in = the ancestor, after_seq <
-- seq <= through_seq). tokens_through is the running total at the end of the
-- segment (for its own messages, the conversation's total). Every read of a
-- conversation's messages joins this view, as on PostgreSQL (pg_0020).
-- depends: sqlite_0013_branches

CREATE VIEW IF NOT EXISTS conversation_segments AS
SELECT id AS conversation_id, user_id, id AS stored_in, coalesce(fork_seq, 0) AS after_seq,
       last_seq AS through_seq, total_tokens AS tokens_through
  FROM conversations
UNION ALL
SELECT conversation_id, user_id, ancestor_id, after_seq, through_seq, tokens_through
  FROM conversation_ancestors
 WHERE after_seq < through_seq;
