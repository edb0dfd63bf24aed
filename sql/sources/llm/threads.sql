-- llm's logs.db (llm 0.32 and later): every thread (a conversation of the
-- message store; llm's docs, "The message store"), those forked from
-- another (forked_from) after all the others, each part in the order of
-- thread ids. A thread that is not a fork has the id of its conversation,
-- so that the roots sort with llm.responses' conversations (lone 0,
-- conversation_key) and a conversation held by both generations of tables
-- is read once.
-- forked: 1 for a fork; thread_key: its id as text, as conversation_key;
-- has_forks: 1 when another thread was forked from it.
-- Index: threads primary key for the order; the forked_from values are
-- gathered once (SQLite indexes them for the join).
SELECT t.forked_from IS NOT NULL AS forked,
       CAST(t.id AS TEXT) AS thread_key,
       t.id, t.name, t.tip_message_hash, t.forked_from, t.datetime_utc,
       forks.parent_id IS NOT NULL AS has_forks
  FROM threads AS t
  LEFT JOIN (SELECT DISTINCT forked_from AS parent_id
               FROM threads
              WHERE forked_from IS NOT NULL) AS forks ON forks.parent_id = t.id
 ORDER BY forked, thread_key;
