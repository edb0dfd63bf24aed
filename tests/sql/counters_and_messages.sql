-- A conversation's stored counters beside what its messages add up to (unknown
-- tokens count as 100), so a test can check that they agree.
-- :conversation_id  the conversation
-- Index: conversations primary key; messages primary key (conversation_id, seq).
SELECT c.last_seq, c.message_count, c.total_tokens, c.pinned_tokens,
       coalesce(max(m.seq), 0) AS max_seq,
       count(m.seq) AS messages,
       coalesce(sum(coalesce(m.tokens, 100)) FILTER (WHERE NOT m.pinned), 0) AS total_tokens_sum,
       coalesce(sum(coalesce(m.tokens, 100)) FILTER (WHERE m.pinned), 0) AS pinned_tokens_sum
  FROM conversations AS c
  LEFT JOIN messages AS m ON m.conversation_id = c.id
 WHERE c.id = :conversation_id
 GROUP BY c.id;
