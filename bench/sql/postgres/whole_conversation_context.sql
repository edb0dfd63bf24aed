-- Baseline for the benchmark: the token-budget context computed the naive way,
-- with a window over the whole conversation (what the tutorial did). Its cost
-- grows with the conversation; sql/<dialect>/recent_context.sql does not.
-- :conversation_id  the conversation
-- :max_tokens       the budget
-- Index: messages primary key (conversation_id, seq), read in full.
WITH counted AS (
    SELECT seq, role, content, tokens,
           sum(coalesce(tokens, 100)) OVER (
               ORDER BY seq DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS suffix_tokens
      FROM messages
     WHERE conversation_id = :conversation_id
)
SELECT seq, role, content, tokens, suffix_tokens
  FROM counted
 WHERE suffix_tokens <= :max_tokens
 ORDER BY seq;
