-- llm's logs.db (llm 0.32 and later): how many model calls llm logged to its
-- content-addressed tables (threads, turns, messages, parts), which the
-- responses tables do not hold and convstore.transfer.llm_logs does not read.
-- turns: that count.
-- Index: responses primary key, once a turn.
SELECT count(*) AS turns
  FROM turns AS t
 WHERE NOT EXISTS (SELECT 1 FROM responses AS r WHERE r.id = t.id);
