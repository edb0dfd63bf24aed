-- llm's logs.db (llm 0.32 and later): the chain of messages that ends at
-- one message (a thread's tip), from its first message (the one without a
-- parent) to that one, each message's parts in the order of their
-- position; a message without parts has one row, its part columns NULL.
-- Messages are content-addressed and linked to their parent by
-- parent_hash (llm's docs, "Threads, turns, messages and parts").
-- :tip: the hash of the last message; NULL: no row.
-- depth: 0 for the tip, 1 for its parent ...; the walk stops after as many
-- steps as messages has rows (max(rowid)), so links that loop, which no
-- content hash can make, end: the first row then has a parent.
-- Index: messages primary key, once a message; parts by
-- idx_parts_message_hash_position; one sort of the chain's rows.
WITH RECURSIVE chain (hash, depth) AS (
  SELECT :tip, 0
  UNION ALL
  SELECT m.parent_hash, chain.depth + 1
    FROM chain
    JOIN messages AS m ON m.hash = chain.hash
   WHERE m.parent_hash IS NOT NULL
     AND chain.depth < (SELECT max(rowid) FROM messages)
)
SELECT chain.depth, m.hash, m.parent_hash, m.role, m.provider_metadata,
       p.id AS part_id, p.position, p.type, p.tool_name, p.text, p.payload
  FROM chain
  JOIN messages AS m ON m.hash = chain.hash
  LEFT JOIN parts AS p ON p.message_hash = m.hash
 ORDER BY chain.depth DESC, p.position;
