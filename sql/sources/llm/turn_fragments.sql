-- llm's logs.db (llm 0.32 and later): the fragments each turn of one thread
-- was given (kind 'prompt' or 'system'), by turn, kind and the order they
-- were given in: the provenance llm keeps on the turn, since message rows
-- are shared (llm's docs, "Table by table").
-- :thread_id: the thread's id.
-- Index: idx_turns_thread_id, turn_fragments primary key, fragments primary
-- key; one sort.
SELECT tf.turn_id, tf.kind, tf."order" AS position,
       f.id, f.hash, f.source, f.datetime_utc
  FROM turns AS u
  JOIN turn_fragments AS tf ON tf.turn_id = u.id
  JOIN fragments AS f ON f.id = tf.fragment_id
 WHERE u.thread_id = :thread_id
 ORDER BY tf.turn_id, tf.kind, position;
