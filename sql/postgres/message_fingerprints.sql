-- What a conversation holds, without its content: each message's seq, kind,
-- idempotency key, fingerprint (SHA-256 of what it says, written with it; NULL
-- for messages written before migration pg_0017 / sqlite_0010), and its token
-- count (and whether it is an estimate) and pin, which the fingerprint leaves
-- out; oldest first. A branch's
-- include those it shares with its ancestors. A mirror compares these with
-- the messages it would write. (SQLite reads each row whole, content
-- included, to reach these columns; PostgreSQL keeps long content out of line
-- and does not read it.)
-- :conversation_id  the conversation
-- :user_id          limit to this owner's conversations, or NULL for any owner
-- Index: messages primary key (conversation_id, seq), a range of the
--        conversation and of each ancestor; conversation_ancestors primary key.
-- OFFSET 0 keeps each LATERAL subquery an index range scan per segment of the
-- history: pulled up into a plain join, the planner, which cannot estimate the
-- segments, may hash-join a scan of every message.
WITH segments AS (
    SELECT stored_in, after_seq, through_seq
      FROM conversation_segments
     WHERE conversation_id = :conversation_id
       AND (:user_id::text IS NULL OR user_id = :user_id)
)
SELECT m.seq, m.kind, m.idempotency_key, m.fingerprint, m.tokens, m.tokens_estimated,
       m.pinned
  FROM segments AS s
  CROSS JOIN LATERAL (
         SELECT m.*
           FROM messages AS m
          WHERE m.conversation_id = s.stored_in
            AND m.seq > s.after_seq
            AND m.seq <= s.through_seq
         OFFSET 0) AS m
 ORDER BY m.seq;
