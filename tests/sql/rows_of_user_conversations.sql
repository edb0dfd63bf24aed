-- Every stored column of a user's conversations, in a fixed order: what a failed call
-- must leave unchanged (tests/test_every_failure_is_typed.py).
-- :user_id  the user
-- Index: none needed (a test's few rows).
SELECT *
  FROM conversations
 WHERE user_id = :user_id
 ORDER BY id;
