-- llm's logs.db (llm 0.32 and later): the turns (model calls) of one
-- thread, in the order of their ids (ULIDs, which sort by time), with the
-- JSON schema each was asked to follow.
-- :thread_id: the thread's id.
-- u.*: every column the turns table has (response_json from llm 0.32; the
-- release candidates lack it).
-- Index: idx_turns_thread_id; schemas primary key; one sort.
SELECT u.*, s.content AS schema_content
  FROM turns AS u
  LEFT JOIN schemas AS s ON s.id = u.schema_id
 WHERE u.thread_id = :thread_id
 ORDER BY u.id;
